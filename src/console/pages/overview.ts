/**
 * The overview (`/` for admin and operator keys): every program worst first, with the last 24
 * hours and 7 days of postbacks, latency, outbound deliveries and the operator's last postback, so
 * a failing program or a silent operator is at the top (app/stats/overview.ts).
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import type { OutcomeSummary } from "../../app/stats/outcome-summary.ts";
import { getOverview, type OverviewRow } from "../../app/stats/overview.ts";
import { count, percent, timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";

/** A figure for the last 24 hours and the last 7 days in one cell: "3 / 41". */
function pair(day: string, week: string, bad: boolean): SafeHtml {
  return html`<td class="num${bad ? " bad" : ""}">${day} <span class="muted">/ ${week}</span></td>`;
}

function outcomes(day: OutcomeSummary, week: OutcomeSummary): SafeHtml {
  return html`${pair(count(day.accepted), count(week.accepted), false)}${pair(count(day.duplicate), count(week.duplicate), false)}${pair(count(day.rejected), count(week.rejected), day.rejected > 0)}${pair(count(day.unattributed), count(week.unattributed), false)}${pair(percent(day.rejectionRate), percent(week.rejectionRate), day.rejectionRate > 0)}`;
}

function row(r: OverviewRow, zone: string): SafeHtml {
  const program = r.program
    ? html`<a href="/programs/${r.program.id}">${r.program.name}</a>`
    : html`<span class="muted">no program known</span>`;
  return html`<tr${r.silent ? html` class="silent"` : ""}>
  <td class="name">${program}</td><td>${r.operator.name}</td>
  ${outcomes(r.day, r.week)}
  <td class="num">${[r.day.p50Us, r.day.p95Us, r.day.p99Us].map(ms).join(" / ")}</td>
  <td class="num${r.deliveries.failing || r.deliveries.dead ? " bad" : ""}">${count(r.deliveries.ok)} / ${count(r.deliveries.failing)} / ${count(r.deliveries.dead)}</td>
  <td class="when">${timeOf(r.lastPostbackAt, zone)}${r.silent ? html` <span class="status silent-tag">silent</span>` : ""}</td>
</tr>`;
}

const OUTCOMES = ["Accepted", "Duplicate", "Rejected", "Unattributed", "Rejection rate"];

/** A percentile's bucket bound in ms ("0.75", "4", "> 8192"); "–" without requests. */
const ms = (us: number | null): string =>
  us === null ? "–" : us >= Number.MAX_SAFE_INTEGER ? "> 8192" : String(us / 1000);

export async function overviewPage(deps: AdminDeps, viewer: Viewer): Promise<string> {
  const overview = await getOverview(deps, viewer.principal);
  const zone = viewer.timeZone;
  const table = overview.rows.length
    ? html`<div class="table-wrap"><table class="overview">
  <caption>Programs, worst first (rejection rate in the last 24 hours, then dead and failing deliveries, then silence)</caption>
  <thead>
    <tr><th scope="col" rowspan="2">Program</th><th scope="col" rowspan="2">Operator</th><th scope="colgroup" colspan="5">Postbacks: last 24 hours / 7 days</th><th scope="col" rowspan="2">Latency, 24 h: p50 / p95 / p99 (ms, at most)</th><th scope="col" rowspan="2">Deliveries, 7 days: OK / failing / dead</th><th scope="col" rowspan="2">Operator's last postback</th></tr>
    <tr>${OUTCOMES.map((o) => html`<th scope="col">${o}</th>`)}</tr>
  </thead>
  <tbody>${overview.rows.map((r) => row(r, zone))}</tbody>
</table></div>`
    : html`<p class="empty">No programs yet. Create one with <code>POST /v1/programs</code>.</p>`;
  return page({
    title: "Overview",
    viewer,
    path: "/",
    body: html`<h1>Overview</h1>
<p class="lead">Figures as of ${timeOf(overview.generatedAt, zone)}; hours are UTC hours. A silent operator sent no postback in the last 24 hours.</p>
${table}`,
  });
}
