/**
 * Operator settings that change while live: HMAC secret rotation (two live at once), the static
 * token, and the parameter mapping. Each write is validated like the postback path reads it; auth
 * changes go through saveAuth, so concurrent ones cannot undo each other.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Operator, Principal } from "../../domain/model.ts";
import { hashToken } from "../../domain/postback-auth.ts";
import type { ParamMapping } from "../../domain/postback-params.ts";
import type { AdminDeps } from "./deps.ts";
import { checkMapping } from "./mapping.ts";
import {
  checkAuth,
  getOperator,
  newHmacSecret,
  saveAuth,
  saveOperator,
  secretFingerprint,
} from "./operators.ts";
import { allowRoles } from "./scope.ts";
import { randomToken } from "./validate.ts";

/**
 * Issues a new secret and keeps it with the newest previous one: a third rotation retires the
 * oldest. The new secret is returned once.
 */
export async function rotateSecret(
  deps: AdminDeps,
  principal: Principal,
  id: number,
): Promise<{ operator: Operator; secret: string }> {
  allowRoles(principal, "admin");
  const secret = newHmacSecret(deps);
  const operator = await saveAuth(deps, principal, id, (current) => ({
    auth: checkAuth({ ...current.auth, hmacSecrets: [...current.auth.hmacSecrets.slice(-1), secret] }),
  }));
  return { operator, secret };
}

/** Retires a live secret by fingerprint; refused when nothing would authenticate the operator. */
export async function retireSecret(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  fingerprint: string,
): Promise<Operator> {
  allowRoles(principal, "admin");
  return saveAuth(deps, principal, id, (current) => {
    const kept = current.auth.hmacSecrets.filter((secret) => secretFingerprint(secret) !== fingerprint);
    if (kept.length === current.auth.hmacSecrets.length) {
      throw new PostwireError("not_found", `No live secret has fingerprint ${fingerprint}.`, "fingerprint");
    }
    return { auth: checkAuth({ ...current.auth, hmacSecrets: kept }) };
  });
}

/** Issues a new static token (replacing any), returned once; only with an IP allowlist. */
export async function issueStaticToken(
  deps: AdminDeps,
  principal: Principal,
  id: number,
): Promise<{ operator: Operator; token: string }> {
  allowRoles(principal, "admin");
  const token = randomToken(deps.ids.random, "pwt_", 32);
  const staticTokenHash = hashToken(token).toString("hex");
  const operator = await saveAuth(deps, principal, id, (current) => ({
    auth: checkAuth({ ...current.auth, staticTokenHash }),
  }));
  return { operator, token };
}

export async function removeStaticToken(
  deps: AdminDeps,
  principal: Principal,
  id: number,
): Promise<Operator> {
  allowRoles(principal, "admin");
  return saveAuth(deps, principal, id, (current) => ({
    auth: checkAuth({ ...current.auth, staticTokenHash: null }),
  }));
}

/**
 * Replaces the parameter and value mapping. An operator key may edit its own operator's mapping:
 * its back-office engineer is the one who knows the parameter names.
 */
export async function replaceMapping(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  mapping: ParamMapping,
): Promise<Operator> {
  allowRoles(principal, "admin", "operator");
  await getOperator(deps, principal, id);
  return saveOperator(deps, id, { mapping: checkMapping(mapping) });
}
