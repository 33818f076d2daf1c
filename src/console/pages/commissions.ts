/**
 * Commissions (issue: Console II, the affiliate's own view): the balance by month (pending,
 * approved, reversed, paid per currency, from the running totals the API's balances read) and the
 * ledger entries of a month, a page at a time. An affiliate key sees its own; an admin key every
 * affiliate's, each on its own line.
 */
import type { Balance } from "../../app/commissions/commission-store-port.ts";
import type { LedgerEntry } from "../../app/commissions/ledger-port.ts";
import { ENTRY_STATUSES } from "../../app/commissions/ledger-port.ts";
import { formatMinor } from "../../domain/money.ts";
import { timeOf } from "../figures.ts";
import { anyOf, field } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { queryString } from "./requests.ts";

interface PeriodBalances {
  /** "2026-11", or "all" for every period together. */
  readonly period: string;
  readonly balances: readonly Balance[];
}

export type CommissionsQuery = Partial<Record<"period" | "status" | "cursor", string>>;

interface CommissionsData {
  readonly periods: readonly PeriodBalances[];
  readonly entries: readonly LedgerEntry[];
  /** Cursor of the next page of entries, or null. */
  readonly next: string | null;
  /** The months offered in the entries' filter, newest first. */
  readonly months: readonly string[];
}

function money(minor: number, currency: string): string {
  try {
    return formatMinor(minor, currency);
  } catch {
    return String(minor);
  }
}

function balancesTable(data: CommissionsData, showAffiliate: boolean): SafeHtml {
  const rows = data.periods.flatMap(({ period, balances }) =>
    balances.map(
      (
        b,
      ) => html`<tr${period === "all" ? html` class="total"` : ""}><th scope="row">${period === "all" ? "All periods" : period}</th>${showAffiliate ? html`<td class="num">${b.affiliateId}</td>` : ""}<td>${b.currency}</td>
<td class="num">${money(b.pendingMinor, b.currency)}</td><td class="num">${money(b.approvedMinor, b.currency)}</td><td class="num">${money(b.reversedMinor, b.currency)}</td><td class="num">${money(b.paidMinor, b.currency)}</td></tr>`,
    ),
  );
  if (!rows.length) return html`<p class="empty">No commissions yet.</p>`;
  return html`<div class="table-wrap"><table class="balances"><caption>Balance by month</caption>
<thead><tr><th scope="col">Period</th>${showAffiliate ? html`<th scope="col">Affiliate</th>` : ""}<th scope="col">Currency</th><th scope="col">Pending</th><th scope="col">Approved (next payout)</th><th scope="col">Reversed</th><th scope="col">Paid</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function entriesFilter(data: CommissionsData, q: CommissionsQuery): SafeHtml {
  const same = (values: readonly string[]) => values.map((v) => [v, v] as const);
  return html`<form method="get" action="/commissions" class="filters card">
${field("f", "period", "Period", anyOf(same(data.months), q.period), undefined)}
${field("f", "status", "Status", anyOf(same(ENTRY_STATUSES), q.status), undefined)}
<button type="submit">Show entries</button></form>`;
}

function explanation(e: LedgerEntry): string {
  const text = e.explain["text"];
  return typeof text === "string" ? text : "";
}

function entriesTable(entries: readonly LedgerEntry[], zone: string, showAffiliate: boolean): SafeHtml {
  if (!entries.length) return html`<p class="empty">No ledger entries match.</p>`;
  return html`<div class="table-wrap"><table class="entries"><caption>Ledger entries, oldest first (times in ${zone})</caption>
<thead><tr><th scope="col">Conversion</th>${showAffiliate ? html`<th scope="col">Affiliate</th>` : ""}<th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Amount</th><th scope="col">Period</th><th scope="col">Occurred</th><th scope="col">Why</th></tr></thead>
<tbody>${entries.map(
    (
      e,
    ) => html`<tr><td><a href="/conversions/${encodeURIComponent(e.conversionId)}"><code>${e.conversionId}</code></a></td>${showAffiliate ? html`<td class="num">${e.affiliateId}</td>` : ""}
<td>${e.kind}${e.component ? ` · ${e.component}` : ""}</td><td><span class="status entry-${e.status}">${e.status}</span></td>
<td class="num">${money(e.amountMinor, e.currency)} ${e.currency}</td><td>${e.period}</td><td>${timeOf(e.occurredAt, zone)}</td><td class="reason">${explanation(e)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function commissionsPage(data: CommissionsData, viewer: Viewer, q: CommissionsQuery): string {
  const admin = viewer.principal.role === "admin";
  return page({
    title: "Commissions",
    viewer,
    path: "/commissions",
    body: html`<h1>Commissions</h1>
<p class="hint">Pending entries are approved when their hold ends; approved ones are paid with the next payout; reversed ones were taken back.</p>
${balancesTable(data, admin)}
<h2>Ledger entries</h2>
${entriesFilter(data, q)}
${entriesTable(data.entries, viewer.timeZone, admin)}
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="/commissions${queryString(q, { cursor: "" })}">First page</a>` : ""}
${data.next ? html`<a href="/commissions${queryString(q, { cursor: data.next })}" rel="next">Next entries</a>` : ""}</nav>`,
  });
}
