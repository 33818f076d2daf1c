/** Managing API keys: admin only. A key is shown once at creation; lists never carry its hash. */
import { PostwireError } from "../../domain/errors.ts";
import type { ApiKey, Principal, Role } from "../../domain/model.ts";
import { createApiKey } from "../access/api-keys.ts";
import type { AdminDeps, Page } from "./deps.ts";
import { allowRoles, notFound } from "./scope.ts";
import { orThrow } from "./validate.ts";

interface CreateKeyInput {
  readonly name: string;
  readonly role: Role;
  readonly operatorId?: number | null | undefined;
  readonly affiliateId?: number | null | undefined;
}

export async function issueApiKey(
  deps: AdminDeps,
  principal: Principal,
  input: CreateKeyInput,
): Promise<{ apiKey: ApiKey; secret: string }> {
  allowRoles(principal, "admin");
  return orThrow(
    await createApiKey(deps.store, deps.clock, deps.ids, {
      name: input.name,
      role: input.role,
      operatorId: input.operatorId ?? null,
      affiliateId: input.affiliateId ?? null,
    }),
  );
}

export async function listApiKeys(
  deps: AdminDeps,
  principal: Principal,
  filter: Page & { operatorId?: number | undefined; affiliateId?: number | undefined },
): Promise<ApiKey[]> {
  allowRoles(principal, "admin");
  return deps.store.apiKeys.list(filter);
}

/** Admin keys still live, up to the first thousand (enough to know whether one would remain). */
async function liveAdminKeys(deps: AdminDeps): Promise<ApiKey[]> {
  const keys = await deps.store.apiKeys.list({ limit: 1000 });
  return keys.filter((key) => key.role === "admin" && key.revokedAt === null);
}

/**
 * Revokes a key at once (the next request with it answers 401); revoking twice is harmless.
 * The last live admin key is kept, so the service cannot be locked out of its own API.
 */
export async function revokeApiKey(deps: AdminDeps, principal: Principal, id: number): Promise<ApiKey> {
  allowRoles(principal, "admin");
  const admins = await liveAdminKeys(deps);
  if (admins.length === 1 && admins[0]!.id === id) {
    throw new PostwireError("conflict", "This is the last live admin key; create another one first.", "id");
  }
  const revoked = await deps.store.apiKeys.revoke(id, deps.clock.now());
  if (!revoked) throw notFound("API key", id);
  return revoked;
}

/** How often a key's last_used_at is written at most: often enough to audit, rare enough to be free. */
const KEY_USE_RESOLUTION_MS = 60_000;

/** Records that a key was used (`last_used_at`), at most once a minute per key and process. */
export function createKeyUseRecorder(
  deps: Pick<AdminDeps, "store" | "clock">,
): (keyId: number) => Promise<void> {
  const written = new Map<number, number>();
  return async (keyId) => {
    const now = deps.clock.now();
    if ((written.get(keyId) ?? Number.NEGATIVE_INFINITY) > now - KEY_USE_RESOLUTION_MS) return;
    if (written.size > 10_000) written.clear();
    written.set(keyId, now);
    await deps.store.apiKeys.touch(keyId, now);
  };
}
