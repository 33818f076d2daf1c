/**
 * A program's failures: its latest rejected and unattributed postback requests (code, reason, how
 * to fix it, a link to each one's detail) and, for admin keys, its failing and dead outbound
 * deliveries with replay (one, or all dead ones of an endpoint in a time range) as POST forms that
 * carry the session's CSRF token. `programFailuresSection` renders it inside any page (the program
 * page embeds it); `programFailuresPage` shows it on its own at /programs/{id}/failures.
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import { getProgram } from "../../app/admin/programs.ts";
import { searchRequestLog } from "../../app/admin/records.ts";
import { listProgramDeliveries } from "../../app/delivery/deliveries.ts";
import type { Delivery } from "../../app/delivery/outbox-port.ts";
import type { RequestLogRow } from "../../app/records.ts";
import type { Program } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";
import { localOfEpoch } from "../zoned-time.ts";
import { entryLink, fixOf, outcomeBadge } from "./request-parts.ts";

interface FailuresOptions {
  /** Rows of each list (default 20). */
  readonly limit?: number;
  /** Where the replay forms return to (default this program's failures page). */
  readonly returnTo?: string;
  /** A message to show once (the result of a replay). */
  readonly flash?: string | undefined;
}

const DAY_MS = 86_400_000;

/** The newest `limit` of two newest-first lists. */
function newestOf(a: readonly RequestLogRow[], b: readonly RequestLogRow[], limit: number): RequestLogRow[] {
  return [...a, ...b]
    .sort((x, y) => y.receivedAt - x.receivedAt || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
    .slice(0, limit);
}

function failuresTable(rows: readonly RequestLogRow[], zone: string): SafeHtml {
  if (!rows.length)
    return html`<p class="empty">No rejected or unattributed request is logged for this program.</p>`;
  return html`<div class="table-wrap"><table class="failures">
<caption>Latest failed requests (times in ${zone})</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Outcome</th><th scope="col">Code</th><th scope="col">Reason</th><th scope="col">How to fix it</th><th scope="col"><span class="visually-hidden">Details</span></th></tr></thead>
<tbody>${rows.map(
    (
      r,
    ) => html`<tr><td>${timeOf(r.receivedAt, zone)}</td><td>${outcomeBadge(r.outcome)}</td><td class="code"><code>${r.code}</code></td>
<td class="reason">${r.reason ?? ""}</td><td class="fix">${fixOf(r) ?? ""}</td><td>${entryLink(r)}</td></tr>`,
  )}</tbody></table></div>`;
}

function replayOne(d: Delivery, viewer: Viewer, returnTo: string): SafeHtml {
  return html`<form method="post" action="/deliveries/${encodeURIComponent(d.id)}/replay" class="inline">
${csrfField(viewer.csrf)}<input type="hidden" name="return_to" value="${returnTo}">
<button type="submit" aria-label="Replay delivery ${d.id}">Replay</button></form>`;
}

function deliveriesTable(
  title: string,
  rows: readonly Delivery[],
  viewer: Viewer,
  returnTo: string,
): SafeHtml {
  if (!rows.length) return html`<p class="empty">${title}: none.</p>`;
  const zone = viewer.timeZone;
  return html`<div class="table-wrap"><table class="deliveries">
<caption>${title} (times in ${zone})</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Endpoint</th><th scope="col">Affiliate</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Replay</span></th></tr></thead>
<tbody>${rows.map(
    (
      d,
    ) => html`<tr><td><code>${d.id}</code></td><td class="num">${d.endpointId}</td><td class="num">${d.affiliateId}</td>
<td><span class="status state-${d.state}">${d.state}</span></td><td class="num">${d.attempts}</td>
<td class="reason">${d.lastError ?? (d.lastStatus === null ? "" : `HTTP ${d.lastStatus}`)}</td>
<td>${timeOf(d.createdAt, zone)}</td><td>${replayOne(d, viewer, returnTo)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** One form per endpoint with dead deliveries: replay all its dead ones created in a range. */
function replayDeadForms(dead: readonly Delivery[], viewer: Viewer, now: number, returnTo: string): SafeHtml {
  const endpoints = [...new Set(dead.map((d) => d.endpointId))].sort((a, b) => a - b);
  if (!endpoints.length) return html``;
  const zone = viewer.timeZone;
  const since = localOfEpoch(now - 7 * DAY_MS, zone);
  const until = localOfEpoch(now + 60_000, zone);
  return html`${endpoints.map(
    (id) => html`<form method="post" action="/endpoints/${id}/replay-dead" class="replay-range">
${csrfField(viewer.csrf)}<input type="hidden" name="return_to" value="${returnTo}">
<fieldset><legend>Replay every dead delivery of endpoint ${id} created in a range</legend>
<p class="hint">This includes the endpoint's dead deliveries of other programs, if it serves several.</p>
<div class="field"><label for="since-${id}">From (${zone})</label><input id="since-${id}" name="since" type="datetime-local" value="${since}" required></div>
<div class="field"><label for="until-${id}">Until (${zone})</label><input id="until-${id}" name="until" type="datetime-local" value="${until}" required></div>
<button type="submit">Replay all dead of endpoint ${id}</button></fieldset></form>`,
  )}`;
}

/** The failures of `programId` as a section; throws not_found for a program the viewer may not see. */
export async function programFailuresSection(
  deps: AdminDeps,
  viewer: Viewer,
  programId: number,
  options: FailuresOptions = {},
): Promise<SafeHtml> {
  const { principal } = viewer;
  const program = await getProgram(deps, principal, programId);
  const limit = options.limit ?? 20;
  const returnTo = options.returnTo ?? `/programs/${programId}/failures`;
  const [rejected, unattributed] = await Promise.all([
    searchRequestLog(deps, principal, { programId, outcome: "rejected", limit }),
    searchRequestLog(deps, principal, { programId, outcome: "unattributed", limit }),
  ]);
  const explore = `/requests?program=${programId}&outcome=rejected`;
  let outbound: SafeHtml;
  if (principal.role === "admin") {
    const { dead, failing } = await listProgramDeliveries(deps, principal, programId, limit);
    outbound = html`${deliveriesTable("Failing deliveries (retrying)", failing, viewer, returnTo)}
${deliveriesTable("Dead deliveries", dead, viewer, returnTo)}
${replayDeadForms(dead, viewer, deps.clock.now(), returnTo)}`;
  } else {
    outbound = html`<p class="hint">Outbound deliveries go to affiliates' trackers: admin keys see and replay them.</p>`;
  }
  return html`<section class="failures-section" aria-labelledby="failures-${programId}">
<h2 id="failures-${programId}">Latest failures</h2>
${options.flash ? html`<p class="flash" role="status">${options.flash}</p>` : ""}
${failuresTable(newestOf(rejected, unattributed, limit), viewer.timeZone)}
<p><a href="${explore}">All rejected requests of this program</a> · <a href="/requests?program=${programId}&amp;outcome=unattributed">Unattributed</a>
· <a href="/requests?operator=${program.operatorId}&amp;outcome=rejected">Rejected requests of its operator</a>
<span class="hint">(also those refused before their program was known)</span></p>
<h2>Outbound deliveries</h2>
${outbound}
</section>`;
}

export async function programFailuresPage(
  deps: AdminDeps,
  viewer: Viewer,
  programId: number,
  flash?: string,
): Promise<string> {
  const program: Program = await getProgram(deps, viewer.principal, programId);
  const section = await programFailuresSection(deps, viewer, programId, { flash });
  return page({
    title: `${program.name} · failures`,
    viewer,
    path: `/programs/${programId}/failures`,
    body: html`<h1>${program.name} <span class="hint">program ${program.id}</span></h1>${section}`,
  });
}
