/**
 * Read-only views of what the hot paths recorded: conversions, the request log and clicks, each
 * narrowed to the caller's tenant (operator: its operator's; affiliate: its own; admin: all).
 */
import type { Principal } from "../../domain/model.ts";
import type { ClickRow, ConversionRow, RequestLogRow } from "../records.ts";
import type { AdminDeps } from "./deps.ts";
import type { ClickFilter, ConversionFilter, RequestLogFilter } from "./entities-port.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "./scope.ts";

export async function listConversions(
  deps: AdminDeps,
  principal: Principal,
  filter: ConversionFilter,
): Promise<ConversionRow[]> {
  return deps.store.listConversions({ ...filter, ...tenantFilter(principal, filter) });
}

export async function getConversion(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<ConversionRow> {
  const row = await deps.store.getConversion(id);
  const visible =
    row !== undefined &&
    (principal.role === "admin" ||
      (principal.role === "operator" && row.operatorId === principal.operatorId) ||
      (principal.role === "affiliate" && row.affiliateId === principal.affiliateId));
  if (!visible) throw notFound("Conversion", id);
  return row;
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
): Promise<{ entry: RequestLogRow; conversion: ConversionRow | undefined }> {
  allowRoles(principal, "admin", "operator");
  const entry = await deps.store.getRequestLog(id);
  // An entry of no known operator (an unknown operator key) is the network's: admins only.
  const visible =
    entry !== undefined &&
    (principal.role === "admin" || (entry.operatorId !== null && seesOperator(principal, entry.operatorId)));
  if (!visible) throw notFound("Request-log entry", id);
  const conversion = entry.conversionId ? await deps.store.getConversion(entry.conversionId) : undefined;
  return { entry, conversion };
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
