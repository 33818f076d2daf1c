/**
 * Read-only views of what the hot paths recorded: conversions, the request log and clicks, each
 * narrowed to the caller's tenant (operator: its operator's; affiliate: its own; admin: all).
 */
import type { Principal } from "../../domain/model.ts";
import type {
  ClickFilter,
  ClickRow,
  ConversionFilter,
  ConversionRow,
  RequestLogFilter,
  RequestLogRow,
} from "../ports.ts";
import type { AdminDeps } from "./deps.ts";
import { allowRoles, notFound, tenantFilter } from "./scope.ts";

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

export interface ClickQuery extends ClickFilter {
  readonly operatorId?: number | undefined;
}

/** Links a click query fans out over when it is limited to one operator's programs. */
const MAX_OPERATOR_LINKS = 1000;
const FAN_OUT = 8;

/**
 * Clicks, newest first. The store filters clicks by affiliate or link only, so a query limited to
 * one operator (an operator key, or admin's operator_id) runs per link of its programs and merges.
 */
export async function listClicks(
  deps: AdminDeps,
  principal: Principal,
  query: ClickQuery,
): Promise<ClickRow[]> {
  const tenant = tenantFilter(principal, query);
  const filter: ClickFilter = {
    affiliateId: tenant.affiliateId,
    linkId: query.linkId,
    since: query.since,
    until: query.until,
    limit: query.limit,
  };
  if (tenant.operatorId === undefined) return deps.store.listClicks(filter);
  const links = await deps.store.links.list({ operatorId: tenant.operatorId, limit: MAX_OPERATOR_LINKS });
  const linkIds = links
    .filter((link) => query.linkId === undefined || link.id === query.linkId)
    .filter((link) => tenant.affiliateId === undefined || link.affiliateId === tenant.affiliateId)
    .map((link) => link.id);
  const rows: ClickRow[] = [];
  for (let i = 0; i < linkIds.length; i += FAN_OUT) {
    const chunk = linkIds.slice(i, i + FAN_OUT);
    const found = await Promise.all(chunk.map((linkId) => deps.store.listClicks({ ...filter, linkId })));
    rows.push(...found.flat());
  }
  rows.sort((a, b) => b.createdAt - a.createdAt || (a.clickId < b.clickId ? 1 : -1));
  return rows.slice(0, Math.min(Math.max(query.limit ?? 100, 1), 1000));
}
