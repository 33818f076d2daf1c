/** API keys: shown once, stored as a sha256 hash, with a role and (for tenants) an owner. */
import { createHash } from "node:crypto";
import { fail, ok, type Result } from "../../domain/errors.ts";
import type { ApiKey, Principal, Role } from "../../domain/model.ts";
import type { Clock, Ids, Store } from "../ports.ts";

const API_KEY_PATTERN = /^pw_[A-Za-z0-9_-]{32,}$/;

const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

function newApiKeySecret(ids: Ids): string {
  return `pw_${ids.random(24).toString("base64url")}`;
}

interface CreateApiKeyInput {
  readonly name: string;
  readonly role: Role;
  readonly operatorId?: number | null;
  readonly affiliateId?: number | null;
  /** Use this exact key (bootstrap); otherwise a new random one. */
  readonly key?: string;
}

/** Creates a key and returns it with its secret, which is never shown again. */
export async function createApiKey(
  store: Store,
  clock: Clock,
  ids: Ids,
  input: CreateApiKeyInput,
): Promise<Result<{ apiKey: ApiKey; secret: string }>> {
  const operatorId = input.operatorId ?? null;
  const affiliateId = input.affiliateId ?? null;
  if (input.role === "operator" && (operatorId === null || affiliateId !== null)) {
    return fail(
      "validation_failed",
      "An operator key needs operator_id (and no affiliate_id).",
      "operator_id",
    );
  }
  if (input.role === "affiliate" && (affiliateId === null || operatorId !== null)) {
    return fail(
      "validation_failed",
      "An affiliate key needs affiliate_id (and no operator_id).",
      "affiliate_id",
    );
  }
  if (input.role === "admin" && (operatorId !== null || affiliateId !== null)) {
    return fail("validation_failed", "An admin key belongs to no operator or affiliate.", "role");
  }
  if (operatorId !== null && !(await store.operators.get(operatorId))) {
    return fail("validation_failed", `Operator ${operatorId} does not exist.`, "operator_id");
  }
  if (affiliateId !== null && !(await store.affiliates.get(affiliateId))) {
    return fail("validation_failed", `Affiliate ${affiliateId} does not exist.`, "affiliate_id");
  }
  const secret = input.key ?? newApiKeySecret(ids);
  if (!API_KEY_PATTERN.test(secret))
    return fail("validation_failed", "API keys look like pw_ and 32+ URL-safe characters.", "key");
  const apiKey = await store.apiKeys.create(
    {
      name: input.name,
      role: input.role,
      operatorId,
      affiliateId,
      prefix: secret.slice(0, 10),
      hash: hashApiKey(secret),
    },
    clock.now(),
  );
  return ok({ apiKey, secret });
}

/** The principal for a presented key, or undefined when unknown or revoked. */
export async function authenticateApiKey(store: Store, key: string): Promise<Principal | undefined> {
  if (!API_KEY_PATTERN.test(key)) return undefined;
  const found = await store.apiKeys.findByHash(hashApiKey(key));
  if (!found || found.revokedAt !== null) return undefined;
  return { keyId: found.id, role: found.role, operatorId: found.operatorId, affiliateId: found.affiliateId };
}
