/**
 * The clicks and conversions lists (issue: Console II, the affiliate's own view): newest first, a
 * page at a time (cursor links), filtered by link and time. What a key sees is what the API's
 * listClicks/listConversions give it: an affiliate key its own, an operator key its programs'.
 */
import type { ClickRow } from "../../app/records.ts";
import type { Link } from "../../domain/model.ts";
import { formatMinor } from "../../domain/money.ts";
import { timeOf } from "../figures.ts";
import { anyOf, field, input } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { queryString } from "./requests.ts";

/** A list page's query: filters as typed (times in the viewer's zone) and the cursor. */
export type ListQuery = Partial<
  Record<
    | "link_id"
    | "since"
    | "until"
    | "cursor"
    // A report's line (reports.ts): its affiliate, program and local dates of the event's time.
    | "affiliate_id"
    | "program_id"
    | "occurred_from"
    | "occurred_until",
    string
  >
>;

export interface ListResult<Row> {
  readonly rows: readonly Row[];
  /** The cursor of the next (older) page, or null on the last. */
  readonly next: string | null;
  readonly problems: readonly string[];
}

function filterForm(path: string, q: ListQuery, viewer: Viewer, links?: readonly Link[]): SafeHtml {
  return html`<form method="get" action="${path}" class="filters card">
${
  links
    ? field(
        "f",
        "link_id",
        "Link",
        anyOf(
          links.map((l) => [String(l.id), `${l.code} (program ${l.programId})`] as const),
          q.link_id,
        ),
        undefined,
      )
    : ""
}
${field("f", "since", `From (${viewer.timeZone})`, input("datetime-local", q.since), undefined)}
${field("f", "until", "Until", input("datetime-local", q.until), undefined)}
<button type="submit">Filter</button></form>`;
}

function pager(path: string, q: ListQuery, next: string | null, older: string): SafeHtml {
  return html`<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="${path}${queryString(q, { cursor: "" })}">Newest</a>` : ""}
${next ? html`<a href="${path}${queryString(q, { cursor: next })}" rel="next">${older}</a>` : ""}</nav>`;
}

const problemList = (problems: readonly string[]) =>
  problems.length
    ? html`<ul class="error" role="alert">${problems.map((p) => html`<li>${p}</li>`)}</ul>`
    : "";

export function clicksPage(
  result: ListResult<ClickRow>,
  links: readonly Link[],
  viewer: Viewer,
  q: ListQuery,
): string {
  const zone = viewer.timeZone;
  const codes = new Map(links.map((l) => [l.id, l.code]));
  const table = result.rows.length
    ? html`<div class="table-wrap"><table class="clicks"><caption>Clicks, newest first (times in ${zone})</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Link</th><th scope="col">Program</th><th scope="col">sub1</th><th scope="col">sub2</th><th scope="col">sub3</th><th scope="col">sub4</th><th scope="col">sub5</th><th scope="col">Click id</th></tr></thead>
<tbody>${result.rows.map(
        (
          c,
        ) => html`<tr><td>${timeOf(c.createdAt, zone)}</td><td><code>${codes.get(c.linkId) ?? c.linkId}</code></td><td class="num">${c.programId}</td>
${c.subs.map((s) => html`<td class="sub">${s ?? ""}</td>`)}<td><code class="small">${c.clickId}</code></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No clicks${q.link_id || q.since || q.until ? " match these filters" : " yet"}.</p>`;
  return page({
    title: "Clicks",
    viewer,
    path: "/clicks",
    body: html`<h1>Clicks</h1>
<p class="hint">Each visit of a tracking link, with the sub-ids sent on it (<a href="/#sub-id-help">how to add them</a>).</p>
${problemList(result.problems)}${filterForm("/clicks", q, viewer, links)}${table}${pager("/clicks", q, result.next, "Older clicks")}`,
  });
}

/** A conversion row as the list shows it. */
interface ConversionLine {
  readonly id: string;
  readonly event: string;
  readonly programId: number | null;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly test: boolean;
  readonly subId: string | null;
}

function amountOf(c: ConversionLine): string {
  if (c.amountMinor === null || c.currency === null) return "";
  try {
    return `${formatMinor(c.amountMinor, c.currency)} ${c.currency}`;
  } catch {
    return `${c.amountMinor} (minor) ${c.currency}`;
  }
}

/** The report's line the list was opened from, said in words, with the way back to everything. */
function reportLine(q: ListQuery, zone: string): SafeHtml | "" {
  if (!q.occurred_from && !q.affiliate_id && !q.program_id) return "";
  const parts = [
    q.affiliate_id ? `affiliate ${q.affiliate_id}` : "",
    q.program_id ? `program ${q.program_id}` : "",
    q.occurred_from
      ? `events that occurred from ${q.occurred_from}${q.occurred_until ? ` until ${q.occurred_until} (excluded)` : ""}, ${zone}`
      : "",
  ].filter(Boolean);
  return html`<p class="notice" id="report-line">From a report's line: ${parts.join(", ")}. <a href="/conversions">All conversions</a></p>`;
}

export function conversionsPage(result: ListResult<ConversionLine>, viewer: Viewer, q: ListQuery): string {
  const zone = viewer.timeZone;
  const table = result.rows.length
    ? html`<div class="table-wrap"><table class="conversions"><caption>Conversions, newest first (times in ${zone})</caption>
<thead><tr><th scope="col">Conversion</th><th scope="col">Event</th><th scope="col">Program</th><th scope="col">Amount</th><th scope="col">Occurred</th><th scope="col">Received</th></tr></thead>
<tbody>${result.rows.map(
        (
          c,
        ) => html`<tr><td><a href="/conversions/${encodeURIComponent(c.id)}"><code>${c.id}</code></a>${c.test ? html` <span class="status test">test</span>` : ""}</td>
<td>${c.event}</td><td class="num">${c.programId ?? ""}</td><td class="num">${amountOf(c)}</td><td>${timeOf(c.occurredAt, zone)}</td><td>${timeOf(c.receivedAt, zone)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No conversions${q.since || q.until ? " match these filters" : " yet"}.</p>`;
  return page({
    title: "Conversions",
    viewer,
    path: "/conversions",
    body: html`<h1>Conversions</h1>
<p class="hint">Events the operators reported for your traffic; open one for its timeline and commissions. Times filter on when it was received.</p>
${reportLine(q, zone)}${problemList(result.problems)}${filterForm("/conversions", q, viewer)}${table}${pager("/conversions", q, result.next, "Older conversions")}`,
  });
}
