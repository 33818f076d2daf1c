/**
 * Operators (the brands posting conversions): create, read, update. Auth settings are validated
 * with prepareAuth exactly as the postback path will read them; secrets never leave here except
 * once, when generated.
 */
import { createHash } from "node:crypto";
import { PostwireError } from "../../domain/errors.ts";
import { parseCidrList } from "../../domain/ip.ts";
import type { Operator, OperatorAuth, Principal, Status } from "../../domain/model.ts";
import { checkSecretByHand, prepareAuth } from "../../domain/postback-auth.ts";
import { EMPTY_MAPPING, type ParamMapping } from "../../domain/postback-params.ts";
import { encodeSecret } from "../../domain/signing.ts";
import type { AdminDeps, Page } from "./deps.ts";
import type { OperatorActivity } from "./entities-port.ts";
import { checkMapping } from "./mapping.ts";
import { allowRoles, notFound, seesOperator } from "./scope.ts";
import { orThrow, randomToken } from "./validate.ts";

interface CreateOperatorInput {
  readonly name: string;
  readonly key?: string | undefined;
  readonly status?: Status | undefined;
  /** Omitted: one secret is generated and returned once. `[]`: none (then an allowlist is needed). */
  readonly hmacSecrets?: readonly string[] | undefined;
  readonly ipAllowlist?: readonly string[] | undefined;
  readonly trustedProxies?: readonly string[] | undefined;
  readonly mapping?: ParamMapping | undefined;
}

export interface UpdateOperatorInput {
  readonly name?: string | undefined;
  readonly key?: string | undefined;
  readonly status?: Status | undefined;
  readonly ipAllowlist?: readonly string[] | undefined;
  readonly trustedProxies?: readonly string[] | undefined;
}

/** Auth settings as shown: secrets by fingerprint only, the static token only as present/absent. */
export interface AuthView {
  readonly hmacSecrets: ReadonlyArray<{ readonly fingerprint: string; readonly position: number }>;
  readonly ipAllowlist: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly staticToken: boolean;
}

/** First 16 hex characters of sha256 over the secret as issued ('whsec_…'). */
export const secretFingerprint = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex").slice(0, 16);

export function describeAuth(auth: OperatorAuth): AuthView {
  return {
    // Oldest first: position 1 is the newest live secret.
    hmacSecrets: auth.hmacSecrets.map((secret, i) => ({
      fingerprint: secretFingerprint(secret),
      position: i,
    })),
    ipAllowlist: auth.ipAllowlist,
    trustedProxies: auth.trustedProxies,
    staticToken: auth.staticTokenHash !== null,
  };
}

export const newHmacSecret = (deps: AdminDeps): string => encodeSecret(deps.ids.random(32));

/** Validates auth settings as the postback path reads them; CIDRs are stored normalised. */
export function checkAuth(auth: OperatorAuth): OperatorAuth {
  const secretField = (field: string | undefined) => (field === "secret" ? "hmac_secrets" : field);
  const prepared = prepareAuth(auth);
  if (!prepared.ok) {
    const { code, message, field } = prepared.error;
    throw new PostwireError(code, message, secretField(field));
  }
  return {
    ...auth,
    ipAllowlist: orThrow(parseCidrList(auth.ipAllowlist, "ip_allowlist")).entries,
    trustedProxies: orThrow(parseCidrList(auth.trustedProxies, "trusted_proxies")).entries,
  };
}

export async function createOperator(
  deps: AdminDeps,
  principal: Principal,
  input: CreateOperatorInput,
): Promise<{ operator: Operator; secret: string | null }> {
  allowRoles(principal, "admin");
  for (const given of input.hmacSecrets ?? []) orThrow(checkSecretByHand(given));
  const secret = input.hmacSecrets === undefined ? newHmacSecret(deps) : null;
  const auth = checkAuth({
    hmacSecrets: secret === null ? (input.hmacSecrets ?? []) : [secret],
    ipAllowlist: input.ipAllowlist ?? [],
    trustedProxies: input.trustedProxies ?? [],
    staticTokenHash: null,
  });
  const operator = await deps.store.operators.create(
    {
      name: input.name,
      key: input.key ?? randomToken(deps.ids.random, "op_", 16),
      status: input.status ?? "active",
      auth,
      mapping: input.mapping ? checkMapping(input.mapping) : EMPTY_MAPPING,
    },
    deps.clock.now(),
  );
  deps.catalog.invalidate();
  return { operator, secret };
}

/** The operator, if the caller may see it; otherwise 404 as if it did not exist. */
export async function getOperator(deps: AdminDeps, principal: Principal, id: number): Promise<Operator> {
  allowRoles(principal, "admin", "operator");
  const operator = seesOperator(principal, id) ? await deps.store.operators.get(id) : undefined;
  if (!operator) throw notFound("Operator", id);
  return operator;
}

/** The operator's last postback and last accepted postback times (404 outside the caller's tenant). */
export async function getOperatorActivity(
  deps: AdminDeps,
  principal: Principal,
  id: number,
): Promise<OperatorActivity> {
  await getOperator(deps, principal, id);
  return (await deps.store.operators.activity([id])).get(id)!;
}

export async function listOperators(deps: AdminDeps, principal: Principal, page: Page): Promise<Operator[]> {
  allowRoles(principal, "admin", "operator");
  const own = principal.role === "operator" ? { operatorId: principal.operatorId ?? -1 } : {};
  return deps.store.operators.list({ ...page, ...own });
}

type OperatorPatch = Partial<Pick<Operator, "name" | "key" | "status" | "auth" | "mapping">>;

/** Writes new settings of an operator the caller may see, then refreshes the hot-path cache. */
export async function saveOperator(deps: AdminDeps, id: number, patch: OperatorPatch): Promise<Operator> {
  const updated = await deps.store.operators.update(id, patch, deps.clock.now());
  deps.catalog.invalidate();
  if (!updated) throw notFound("Operator", id);
  return updated;
}

/** Auth changes read the operator and write only if its auth is unchanged; this many tries before a 409. */
const AUTH_TRIES = 3;

/**
 * Read-modify-write of an operator's auth settings: `change` computes the patch from the operator
 * as read, and the write applies only while the stored auth is still the one read. Two changes at
 * once (a rotation and an allowlist edit, two rotations…) are thus applied one after the other:
 * the loser reads again and recomputes, so neither is lost. Secrets and tokens are minted by the
 * caller, once, so a retry keeps the one it will return.
 */
export async function saveAuth(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  change: (current: Operator) => OperatorPatch,
): Promise<Operator> {
  for (let attempt = 1; attempt <= AUTH_TRIES; attempt++) {
    const current = await getOperator(deps, principal, id);
    const patch = change(current);
    const updated = await deps.store.operators.updateIf(id, { auth: current.auth }, patch, deps.clock.now());
    if (updated) {
      deps.catalog.invalidate();
      return updated;
    }
  }
  throw new PostwireError(
    "conflict",
    "The operator's credentials were being changed by another request; try again.",
  );
}

export async function updateOperator(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  input: UpdateOperatorInput,
): Promise<Operator> {
  allowRoles(principal, "admin");
  // Fields left undefined are not written.
  const plain = { name: input.name, key: input.key, status: input.status };
  if (input.ipAllowlist === undefined && input.trustedProxies === undefined) {
    await getOperator(deps, principal, id);
    return saveOperator(deps, id, plain);
  }
  return saveAuth(deps, principal, id, (current) => ({
    ...plain,
    auth: checkAuth({
      ...current.auth,
      ipAllowlist: input.ipAllowlist ?? current.auth.ipAllowlist,
      trustedProxies: input.trustedProxies ?? current.auth.trustedProxies,
    }),
  }));
}
