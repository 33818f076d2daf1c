/**
 * Read-only views of what the hot paths recorded: conversions, the request log and clicks, each
 * narrowed to the caller's tenant (operator: its operator's; affiliate: its own; admin: all).
 */
import type { Principal } from "../../domain/model.ts";
import type { PlanVersion } from "../commissions/ledger-port.ts";
import { termsAt } from "../commissions/plan-cache.ts";
import type { ClickRow, ConversionRow, RequestLogRow } from "../records.ts";
import type { AdminDeps } from "./deps.ts";
import type { ClickFilter, ConversionFilter, RequestLogFilter } from "./entities-port.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "./scope.ts";

/** A conversion as the API shows it: whether it earned nothing because no plan was in force. */
export interface ConversionView extends ConversionRow {
  /**
   * Attributed and live, with no plan or deal of its program in force for its affiliate at its
   * `occurred_at`: it earned nothing for that reason (a recalculation can credit it).
   */
  readonly noCommissionPlan: boolean;
}

/** The rows with their plan state, from the plans of their programs (one query for the page). */
async function withPlanState(deps: AdminDeps, rows: readonly ConversionRow[]): Promise<ConversionView[]> {
  const earning = rows.filter((r) => r.programId !== null && r.affiliateId !== null && !r.test);
  const versions = earning.length
    ? await deps.store.commissions.plansOf([...new Set(earning.map((r) => r.programId!))])
    : [];
  const byProgram = new Map<number, PlanVersion[]>();
  for (const v of versions) byProgram.set(v.programId, [...(byProgram.get(v.programId) ?? []), v]);
  return rows.map((row) => ({
    ...row,
    noCommissionPlan:
      row.programId !== null &&
      row.affiliateId !== null &&
      !row.test &&
      termsAt(byProgram.get(row.programId) ?? [], row.affiliateId, row.occurredAt) === undefined,
  }));
}

export async function listConversions(
  deps: AdminDeps,
  principal: Principal,
  filter: ConversionFilter,
): Promise<ConversionView[]> {
  return withPlanState(
    deps,
    await deps.store.listConversions({ ...filter, ...tenantFilter(principal, filter) }),
  );
}

export async function getConversion(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<ConversionView> {
  const row = await deps.store.getConversion(id);
  const visible =
    row !== undefined &&
    (principal.role === "admin" ||
      (principal.role === "operator" && row.operatorId === principal.operatorId) ||
      (principal.role === "affiliate" && row.affiliateId === principal.affiliateId));
  if (!visible) throw notFound("Conversion", id);
  return (await withPlanState(deps, [row]))[0]!;
}

/** The request log holds operators' raw requests: admins and the operator itself only. */
export async function searchRequestLog(
  deps: AdminDeps,
  principal: Principal,
  filter: RequestLogFilter,
): Promise<RequestLogRow[]> {
  allowRoles(principal, "admin", "operator");
  return deps.store.searchRequestLog({ ...filter, ...tenantFilter(principal, filter) });
}

/** One request-log entry and the conversion it created or named; another operator's is not found. */
export async function getRequestLogEntry(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<{ entry: RequestLogRow; conversion: ConversionView | undefined }> {
  allowRoles(principal, "admin", "operator");
  const entry = await deps.store.getRequestLog(id);
  // An entry of no known operator (an unknown operator key) is the network's: admins only.
  const visible =
    entry !== undefined &&
    (principal.role === "admin" || (entry.operatorId !== null && seesOperator(principal, entry.operatorId)));
  if (!visible) throw notFound("Request-log entry", id);
  const row = entry.conversionId ? await deps.store.getConversion(entry.conversionId) : undefined;
  return { entry, conversion: row ? (await withPlanState(deps, [row]))[0] : undefined };
}

/** Clicks, newest first, narrowed to the caller's tenant in the store's one query. */
export async function listClicks(
  deps: AdminDeps,
  principal: Principal,
  query: ClickFilter,
): Promise<ClickRow[]> {
  const tenant = tenantFilter(principal, query);
  return deps.store.listClicks({
    operatorId: tenant.operatorId,
    affiliateId: tenant.affiliateId,
    linkId: query.linkId,
    since: query.since,
    until: query.until,
    before: query.before,
    limit: query.limit,
  });
}
