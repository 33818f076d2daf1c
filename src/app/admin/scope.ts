/**
 * Who may see what (DESIGN §6). Two rules, one answer each:
 * - an action a role may never take (an operator key creating an operator, an affiliate key reading
 *   the request log) is refused with 403 `forbidden`, before anything is looked up;
 * - a record outside the caller's tenant answers 404 `not_found`, exactly like a record that does
 *   not exist, so a key cannot probe which ids exist elsewhere.
 * A list filter naming another tenant (`operator_id` on an operator key) is refused with 403: the
 * answer does not depend on whether that tenant exists.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal, Role } from "../../domain/model.ts";

/** Refuses (403) a caller whose role is not one of `roles`. */
export function allowRoles(principal: Principal, ...roles: Role[]): void {
  if (!roles.includes(principal.role)) {
    throw new PostwireError("forbidden", `An ${principal.role} key may not do this.`);
  }
}

export function notFound(what: string, id: number | string): PostwireError {
  return new PostwireError("not_found", `${what} ${id} was not found.`);
}

/** Admin sees every operator; an operator key only its own. */
export function seesOperator(principal: Principal, operatorId: number): boolean {
  return principal.role === "admin" || (principal.role === "operator" && principal.operatorId === operatorId);
}

/** Admin sees every affiliate; an affiliate key only its own. */
export function seesAffiliate(principal: Principal, affiliateId: number | null): boolean {
  return (
    principal.role === "admin" || (principal.role === "affiliate" && principal.affiliateId === affiliateId)
  );
}

/**
 * The tenant filters of a list, narrowed to the caller: a tenant key always gets its own id;
 * asking for another tenant's id is refused.
 */
export function tenantFilter(
  principal: Principal,
  requested: { operatorId?: number | undefined; affiliateId?: number | undefined },
): { operatorId?: number; affiliateId?: number } {
  const out: { operatorId?: number; affiliateId?: number } = {};
  if (requested.operatorId !== undefined) out.operatorId = requested.operatorId;
  if (requested.affiliateId !== undefined) out.affiliateId = requested.affiliateId;
  if (principal.role === "operator") {
    if (requested.operatorId !== undefined && requested.operatorId !== principal.operatorId) {
      throw new PostwireError("forbidden", "An operator key sees only its own operator.", "operator_id");
    }
    out.operatorId = principal.operatorId ?? -1;
  }
  if (principal.role === "affiliate") {
    if (requested.affiliateId !== undefined && requested.affiliateId !== principal.affiliateId) {
      throw new PostwireError("forbidden", "An affiliate key sees only its own affiliate.", "affiliate_id");
    }
    out.affiliateId = principal.affiliateId ?? -1;
  }
  return out;
}
