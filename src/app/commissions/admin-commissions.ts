/**
 * Admin use cases for commissions: plan and deal versions, FX rates, sub-affiliate parents, ledger
 * and balances scoped by role, payouts. Plans are managed by admins; an operator key reads its own
 * programs' plans and ledger; an affiliate key reads only its own entries and balances.
 */

import { checkTerms } from "../../domain/commissions/check-terms.ts";
import { rateFraction } from "../../domain/commissions/exact.ts";
import { PLAN_PRESETS } from "../../domain/commissions/presets.ts";
import type { Terms } from "../../domain/commissions/terms.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { Vertical } from "../../domain/event-types.ts";
import type { Principal } from "../../domain/model.ts";
import { isCurrency } from "../../domain/money.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "../admin/scope.ts";
import type { Balance, LedgerFilter, PayoutFilter, PayoutRow } from "./commission-store-port.ts";
import { planCacheFor } from "./plan-cache.ts";

async function visibleProgram(deps: AdminDeps, principal: Principal, programId: number) {
  const program = await deps.store.programs.get(programId);
  if (!program || (principal.role !== "admin" && !seesOperator(principal, program.operatorId)))
    throw notFound("Program", programId);
  return program;
}

/** A plan or deal version as asked for (createPlanVersion and its preview). */
interface PlanVersionInput {
  readonly affiliate_id?: number | null;
  readonly effective_from?: number;
  readonly terms: Terms;
  readonly note?: string | null;
}

/**
 * Everything createPlanVersion checks, without storing anything: the console's preview shows the
 * plan in words only once it would be accepted.
 */
export async function checkPlanVersion(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
  body: PlanVersionInput,
) {
  allowRoles(principal, "admin");
  const program = await visibleProgram(deps, principal, programId);
  if (body.affiliate_id != null && !(await deps.store.affiliates.get(body.affiliate_id)))
    throw new PostwireError(
      "invalid_field",
      `Affiliate ${body.affiliate_id} does not exist.`,
      "affiliate_id",
    );
  checkTerms(body.terms);
  return program;
}

export async function createPlanVersion(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
  body: PlanVersionInput,
) {
  await checkPlanVersion(deps, principal, programId, body);
  const now = deps.clock.now();
  const plan = await deps.store.commissions.createPlan(
    {
      programId,
      affiliateId: body.affiliate_id ?? null,
      effectiveFrom: body.effective_from ?? now,
      terms: body.terms,
      note: body.note ?? null,
    },
    now,
  );
  planCacheFor(deps.catalog, deps.clock).invalidate();
  return plan;
}

export async function listPlanVersions(deps: AdminDeps, principal: Principal, programId: number) {
  allowRoles(principal, "admin", "operator");
  await visibleProgram(deps, principal, programId);
  return deps.store.commissions.listPlans(programId);
}

export function presetOf(vertical: Vertical): Terms {
  return PLAN_PRESETS[vertical];
}

export async function createRate(
  deps: AdminDeps,
  principal: Principal,
  body: { base: string; quote: string; rate: string; effective_from?: number },
) {
  allowRoles(principal, "admin");
  if (!isCurrency(body.base))
    throw new PostwireError("unknown_currency", `"${body.base}" is not an ISO 4217 code.`, "base");
  if (!isCurrency(body.quote))
    throw new PostwireError("unknown_currency", `"${body.quote}" is not an ISO 4217 code.`, "quote");
  if (!rateFraction(body.rate))
    throw new PostwireError(
      "invalid_field",
      "rate must be a positive decimal with at most 12 decimals.",
      "rate",
    );
  if (body.base === body.quote)
    throw new PostwireError("invalid_field", "quote must differ from base.", "quote");
  const now = deps.clock.now();
  return deps.store.commissions.createRate(
    { base: body.base, quote: body.quote, rate: body.rate, effectiveFrom: body.effective_from ?? now },
    now,
  );
}

/** Every FX rate version (rates are not tenant data: any key reads them). */
export const listRates = (deps: AdminDeps) => deps.store.commissions.listRates();

/** The affiliate's parent for sub-affiliate overrides (null: none). */
export async function parentOfAffiliate(deps: AdminDeps, principal: Principal, affiliateId: number) {
  allowRoles(principal, "admin");
  if (!(await deps.store.affiliates.get(affiliateId))) throw notFound("Affiliate", affiliateId);
  return deps.store.commissions.parentOf(affiliateId);
}

export async function setParent(
  deps: AdminDeps,
  principal: Principal,
  affiliateId: number,
  parentId: number | null,
) {
  allowRoles(principal, "admin");
  if (!(await deps.store.affiliates.get(affiliateId))) throw notFound("Affiliate", affiliateId);
  if (parentId !== null) {
    if (!(await deps.store.affiliates.get(parentId)))
      throw new PostwireError("invalid_field", `Affiliate ${parentId} does not exist.`, "parent_id");
    // No cycles: walk up from the new parent.
    for (let at: number | null = parentId, depth = 0; at !== null && depth < 100; depth++) {
      if (at === affiliateId)
        throw new PostwireError(
          "invalid_field",
          "An affiliate cannot be its own (indirect) parent.",
          "parent_id",
        );
      at = await deps.store.commissions.parentOf(at);
    }
  }
  await deps.store.commissions.setParent(affiliateId, parentId);
}

/** A ledger filter narrowed to the caller (an affiliate its own; an operator its programs). */
export async function scopedLedgerFilter(
  deps: AdminDeps,
  principal: Principal,
  requested: LedgerFilter,
): Promise<LedgerFilter> {
  const tenant = tenantFilter(principal, { affiliateId: requested.affiliateId });
  if (principal.role === "operator") {
    if (requested.programId === undefined)
      throw new PostwireError(
        "missing_field",
        "An operator key must name one of its programs.",
        "program_id",
      );
    await visibleProgram(deps, principal, requested.programId);
  }
  return { ...requested, ...(tenant.affiliateId !== undefined ? { affiliateId: tenant.affiliateId } : {}) };
}

/**
 * The balances of each of `periods` and of all periods together ("all"), scoped as
 * GET /v1/commissions/balances scopes them (an affiliate key: its own; an admin key: every
 * affiliate's): two reads, whatever the number of periods.
 */
export async function balancesByPeriod(
  deps: AdminDeps,
  principal: Principal,
  periods: readonly string[],
): Promise<Array<{ period: string; balances: Balance[] }>> {
  const { affiliateId } = await scopedLedgerFilter(deps, principal, {});
  const scope = affiliateId === undefined ? {} : { affiliateId };
  const byPeriod = await deps.store.commissions.balancesByPeriod({ ...scope, periods });
  return [...byPeriod, { period: "all", balances: await deps.store.commissions.balances(scope) }];
}

export async function markPeriodPaid(
  deps: AdminDeps,
  principal: Principal,
  period: string,
  affiliateId?: number,
) {
  allowRoles(principal, "admin");
  return deps.store.commissions.markPaid(period, affiliateId, deps.clock.now(), () => deps.ids.next("po"));
}

/** A payout listing as asked: `before` is the id of the last payout of the previous page. */
type PayoutQuery = Omit<PayoutFilter, "before"> & { readonly before?: string };

/**
 * Payouts, newest first, scoped like balances: an affiliate key its own; an operator key must name
 * one of its programs and sees each payout as that program's share. `before` must be a payout of
 * this same listing (else 400 `invalid_field`), so a cursor never reveals another tenant's payout.
 */
export async function listPayouts(
  deps: AdminDeps,
  principal: Principal,
  query: PayoutQuery,
): Promise<PayoutRow[]> {
  const { before, ...requested } = query;
  const filter: PayoutFilter = await scopedLedgerFilter(deps, principal, requested);
  if (before === undefined) return deps.store.commissions.listPayouts(filter);
  const last = await deps.store.commissions.findPayout(before, filter);
  if (!last)
    throw new PostwireError(
      "invalid_field",
      "before must be the id of a payout in this listing (the previous page's next_before).",
      "before",
    );
  return deps.store.commissions.listPayouts({
    ...filter,
    before: { createdAt: last.createdAt, id: last.id },
  });
}
