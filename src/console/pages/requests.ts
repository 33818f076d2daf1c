/**
 * The request-log explorer (`/requests`): a GET filter form, so every view is a shareable URL, and
 * the matching requests newest first, a page at a time (cursor links). Filter times are read in
 * the viewer's time zone, and every time shown states it. Admin and operator keys (an operator key
 * sees its own operator's requests, as in the API).
 */

import { pageOf, timeBefore } from "../../adapters/http/cursor.ts";
import type { AdminDeps } from "../../app/admin/deps.ts";
import type { RequestLogFilter } from "../../app/admin/entities-port.ts";
import { listOperators } from "../../app/admin/operators.ts";
import { listPrograms } from "../../app/admin/programs.ts";
import { searchRequestLog } from "../../app/admin/records.ts";
import type { RequestLogRow } from "../../app/records.ts";
import { ERRORS } from "../../domain/errors.ts";
import type { Operator, Program } from "../../domain/model.ts";
import { REQUEST_OUTCOMES, type RequestOutcome } from "../../domain/request-outcome.ts";
import { timeOf } from "../figures.ts";
import { anyOf, field, input, namedOptions } from "../form-fields.ts";
import { localTimeRange, recordId } from "../form-values.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { entryLink, latencyText, outcomeBadge } from "./request-parts.ts";

/** Rows per page of the explorer. */
const EXPLORER_PAGE = 50;
/** The form's fields, as query parameters. */
const FIELDS = ["operator", "program", "outcome", "status", "code", "txid", "since", "until"] as const;
export type ExplorerQuery = Partial<Record<(typeof FIELDS)[number] | "cursor", string>>;

interface ParsedQuery {
  readonly filter: RequestLogFilter;
  /** What could not be read, one sentence each (shown above the form). */
  readonly problems: readonly string[];
}

/** The store's filter for a query (the use case narrows it to the viewer's tenant). */
export function parseExplorerQuery(q: ExplorerQuery, zone: string): ParsedQuery {
  const problems: string[] = [];
  const filter: { -readonly [K in keyof RequestLogFilter]: RequestLogFilter[K] } = {};
  const id = (name: "operator" | "program") => {
    const text = q[name]?.trim();
    if (!text) return undefined;
    const value = recordId(text);
    if (value === undefined) problems.push(`The ${name} must be an id (a whole number).`);
    return value;
  };
  const operatorId = id("operator");
  if (operatorId !== undefined) filter.operatorId = operatorId;
  const programId = id("program");
  if (programId !== undefined) filter.programId = programId;
  if (q.outcome) {
    if ((REQUEST_OUTCOMES as readonly string[]).includes(q.outcome))
      filter.outcome = q.outcome as RequestOutcome;
    else problems.push(`The outcome must be one of ${REQUEST_OUTCOMES.join(", ")}.`);
  }
  if (q.status?.trim()) {
    const status = Number(q.status.trim());
    if (Number.isInteger(status) && status >= 100 && status <= 599) filter.status = status;
    else problems.push("The status must be an HTTP status (100–599).");
  }
  if (q.code?.trim()) filter.code = q.code.trim().slice(0, 64);
  if (q.txid?.trim()) filter.txid = q.txid.trim().slice(0, 128);
  const times = localTimeRange(q, zone);
  problems.push(...times.problems);
  Object.assign(filter, times.range);
  if (q.cursor) filter.before = timeBefore(q.cursor);
  return { filter, problems };
}

/** The query string of `q` without empty fields, with `extra` set. */
export function queryString(q: ExplorerQuery, extra: ExplorerQuery = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...q, ...extra })) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function filterForm(
  q: ExplorerQuery,
  viewer: Viewer,
  operators: readonly Operator[],
  programs: readonly Program[],
) {
  const codes = ["accepted", "duplicate", ...Object.keys(ERRORS)];
  return html`<form method="get" action="/requests" class="filters" aria-label="Filter the request log">
${
  viewer.principal.role === "admin"
    ? field("f", "operator", "Operator", anyOf(namedOptions(operators), q.operator), undefined)
    : ""
}
${field("f", "program", "Program", anyOf(namedOptions(programs), q.program), undefined)}
${field(
  "f",
  "outcome",
  "Outcome",
  anyOf(
    REQUEST_OUTCOMES.map((o) => [o, o] as const),
    q.outcome,
  ),
  undefined,
)}
${field("f", "status", "HTTP status", input("number", q.status, html` min="100" max="599" inputmode="numeric"`), undefined)}
${field("f", "code", "Code", input("text", q.code, html` list="codes" spellcheck="false"`), undefined)}
<datalist id="codes">${codes.map((c) => html`<option value="${c}"></option>`)}</datalist>
${field("f", "txid", "txid", input("text", q.txid, html` spellcheck="false"`), undefined)}
${field("f", "since", `From (${viewer.timeZone})`, input("datetime-local", q.since), undefined)}
${field("f", "until", `Until (${viewer.timeZone})`, input("datetime-local", q.until), undefined)}
<div class="actions"><button type="submit">Filter</button> <a href="/requests">Clear</a>
<a href="/requests.csv${queryString({ ...q, cursor: "" })}" download>Download CSV</a></div>
</form>`;
}

function resultsTable(
  rows: readonly RequestLogRow[],
  viewer: Viewer,
  names: { operators: Map<number, string>; programs: Map<number, string> },
): SafeHtml {
  if (!rows.length) return html`<p class="empty">No request matches these filters.</p>`;
  const zone = viewer.timeZone;
  return html`<div class="table-wrap"><table class="requests">
<caption>Requests, newest first (times in ${zone})</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Outcome</th><th scope="col">Status</th><th scope="col">Code</th><th scope="col">Operator</th><th scope="col">Program</th><th scope="col">txid</th><th scope="col">Latency</th><th scope="col"><span class="visually-hidden">Details</span></th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr>
<td>${timeOf(r.receivedAt, zone)}</td><td>${outcomeBadge(r.outcome)}</td><td class="num">${r.status}</td><td class="code"><code>${r.code}</code></td>
<td>${r.operatorId === null ? "—" : (names.operators.get(r.operatorId) ?? r.operatorId)}</td>
<td>${r.programId === null ? "—" : (names.programs.get(r.programId) ?? r.programId)}</td>
<td><code>${r.txid ?? ""}</code></td><td class="num">${latencyText(r.latencyUs)}</td><td>${entryLink(r)}</td></tr>`,
  )}</tbody></table></div>`;
}

export async function requestsPage(deps: AdminDeps, viewer: Viewer, q: ExplorerQuery): Promise<string> {
  const { principal, timeZone } = viewer;
  const { filter, problems } = parseExplorerQuery(q, timeZone);
  const [operators, programs] = await Promise.all([
    principal.role === "admin" ? listOperators(deps, principal, { limit: 1000 }) : Promise.resolve([]),
    listPrograms(deps, principal, { limit: 1000 }),
  ]);
  const rows = problems.length
    ? []
    : await searchRequestLog(deps, principal, { ...filter, limit: EXPLORER_PAGE });
  const next = pageOf(
    rows,
    EXPLORER_PAGE,
    (r) => r,
    (r) => [r.receivedAt, r.id],
  ).next_cursor;
  const names = {
    operators: new Map(operators.map((o) => [o.id, o.name])),
    programs: new Map(programs.map((p) => [p.id, p.name])),
  };
  const body = html`<h1>Requests</h1>
<p class="hint">Every postback request with its outcome. Filters make a shareable URL.</p>
${problems.length ? html`<ul class="error" role="alert">${problems.map((p) => html`<li>${p}</li>`)}</ul>` : ""}
${filterForm(q, viewer, operators, programs)}
${resultsTable(rows, viewer, names)}
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="/requests${queryString(q, { cursor: "" })}">Newest</a>` : ""}
${next ? html`<a href="/requests${queryString(q, { cursor: next })}" rel="next">Older requests</a>` : ""}</nav>`;
  return page({ title: "Requests", viewer, path: "/requests", body });
}
