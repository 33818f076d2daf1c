/**
 * The overview (`/` for admin and operator keys): every program worst first, with the last 24
 * hours and 7 days of postbacks, latency, outbound deliveries and the operator's last postback, so
 * a failing program or a silent operator is at the top (app/stats/overview.ts).
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import type { OutcomeSummary } from "../../app/stats/outcome-summary.ts";
import { getOverview, type OverviewRow } from "../../app/stats/overview.ts";
import { count, latency, percent, timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";

function window(s: OutcomeSummary): SafeHtml {
  return html`<td class="num">${count(s.accepted)}</td><td class="num">${count(s.duplicate)}</td><td class="num${s.rejected ? " bad" : ""}">${count(s.rejected)}</td><td class="num">${count(s.unattributed)}</td><td class="num${s.rejectionRate > 0 ? " bad" : ""}">${percent(s.rejectionRate)}</td>`;
}

function row(r: OverviewRow, zone: string): SafeHtml {
  const program = r.program
    ? html`<a href="/programs/${r.program.id}">${r.program.name}</a>`
    : html`<span class="muted">no program known</span>`;
  return html`<tr${r.silent ? html` class="silent"` : ""}>
  <td class="name">${program}</td><td>${r.operator.name}</td>
  ${window(r.day)}${window(r.week)}
  <td class="num">${latency(r.day.p50Us)}</td><td class="num">${latency(r.day.p95Us)}</td><td class="num">${latency(r.day.p99Us)}</td>
  <td class="num">${count(r.deliveries.ok)}</td><td class="num${r.deliveries.failing ? " bad" : ""}">${count(r.deliveries.failing)}</td><td class="num${r.deliveries.dead ? " bad" : ""}">${count(r.deliveries.dead)}</td>
  <td>${timeOf(r.lastPostbackAt, zone)}${r.silent ? html` <span class="status silent-tag">silent</span>` : ""}</td>
</tr>`;
}

const OUTCOMES = ["Accepted", "Duplicate", "Rejected", "Unattributed", "Rejection rate"];

export async function overviewPage(deps: AdminDeps, viewer: Viewer): Promise<string> {
  const overview = await getOverview(deps, viewer.principal);
  const zone = viewer.timeZone;
  const table = overview.rows.length
    ? html`<div class="table-wrap"><table class="overview">
  <caption>Programs, worst first (rejection rate in the last 24 hours, then dead and failing deliveries, then silence)</caption>
  <thead>
    <tr><th scope="col" rowspan="2">Program</th><th scope="col" rowspan="2">Operator</th><th scope="colgroup" colspan="5">Last 24 hours</th><th scope="colgroup" colspan="5">Last 7 days</th><th scope="colgroup" colspan="3">Latency (24 h)</th><th scope="colgroup" colspan="3">Deliveries (7 days)</th><th scope="col" rowspan="2">Operator's last postback</th></tr>
    <tr>${[...OUTCOMES, ...OUTCOMES].map((o) => html`<th scope="col">${o}</th>`)}<th scope="col">p50</th><th scope="col">p95</th><th scope="col">p99</th><th scope="col">OK</th><th scope="col">Failing</th><th scope="col">Dead</th></tr>
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
