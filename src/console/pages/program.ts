/**
 * A program's failure dashboard (`/programs/{id}`): outcomes and latency percentiles by hour over
 * a chosen range (up to 30 days) as charts (uPlot, drawn by /assets/charts.js from a JSON block),
 * rejected requests by code with their trend, unattributed events by reason, and its latest
 * failures with their fixes and its failing outbound deliveries with replay (program-failures.ts).
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import { type CodeCount, getProgramStats, type ProgramStats } from "../../app/stats/program-stats.ts";
import { count, jsonBlock, latency, percent, timeOf } from "../figures.ts";
import { select } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { programFailuresSection } from "./program-failures.ts";

const HOUR = 3_600_000;
/** The ranges offered, in hours. */
const RANGES = { "24h": 24, "7d": 168, "14d": 336, "30d": 720 } as const;
type RangeName = keyof typeof RANGES;
export const rangeOf = (value: string | undefined): RangeName =>
  value !== undefined && value in RANGES ? (value as RangeName) : "7d";

function trend(c: CodeCount): string {
  if (c.count === c.previous) return "=";
  if (c.previous === 0) return "new";
  const change = Math.round(((c.count - c.previous) / c.previous) * 100);
  return `${change > 0 ? "+" : ""}${change} %`;
}

function codeTable(caption: string, head: string, rows: readonly CodeCount[], empty: string): SafeHtml {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table>
  <caption>${caption}</caption>
  <thead><tr><th scope="col">${head}</th><th scope="col">Count</th><th scope="col">Previous range</th><th scope="col">Trend</th></tr></thead>
  <tbody>${rows.map(
    (c) =>
      html`<tr><th scope="row"><code>${c.code}</code></th><td class="num">${count(c.count)}</td><td class="num">${count(c.previous)}</td><td class="num">${trend(c)}</td></tr>`,
  )}</tbody>
</table></div>`;
}

function chartsData(stats: ProgramStats) {
  const ms = (us: number | null) => (us === null || us >= Number.MAX_SAFE_INTEGER ? null : us / 1000);
  return {
    x: stats.hours.map((h) => h.hourAt / 1000),
    outcomes: {
      accepted: stats.hours.map((h) => h.accepted),
      duplicate: stats.hours.map((h) => h.duplicate),
      rejected: stats.hours.map((h) => h.rejected),
      unattributed: stats.hours.map((h) => h.unattributed),
      test: stats.hours.map((h) => h.test),
    },
    latency: {
      p50: stats.hours.map((h) => ms(h.p50Us)),
      p95: stats.hours.map((h) => ms(h.p95Us)),
      p99: stats.hours.map((h) => ms(h.p99Us)),
    },
  };
}

function rangeForm(programId: number, range: RangeName): SafeHtml {
  return html`<form method="get" action="/programs/${programId}" class="filters">
  <label for="range">Range</label>
  ${select(
    Object.keys(RANGES).map((r) => [r, `last ${r.replace("h", " hours").replace("d", " days")}`] as const),
    range,
  )(html`id="range" name="range" data-autosubmit`)}
  <button type="submit">Show</button>
</form>`;
}

export async function programPage(
  deps: AdminDeps,
  viewer: Viewer,
  programId: number,
  range: RangeName,
): Promise<string> {
  const now = deps.clock.now();
  const to = now - (now % HOUR) + HOUR;
  const stats = await getProgramStats(deps, viewer.principal, programId, {
    from: to - RANGES[range] * HOUR,
    to,
  });
  const zone = viewer.timeZone;
  const t = stats.totals;
  const totals = html`<div class="table-wrap"><table>
  <caption>Totals over the range</caption>
  <thead><tr><th scope="col">Accepted</th><th scope="col">Duplicate</th><th scope="col">Rejected</th><th scope="col">Unattributed</th><th scope="col">Test</th><th scope="col">Rejection rate</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">p99</th></tr></thead>
  <tbody><tr><td class="num">${count(t.accepted)}</td><td class="num">${count(t.duplicate)}</td><td class="num">${count(t.rejected)}</td><td class="num">${count(t.unattributed)}</td><td class="num">${count(t.test)}</td><td class="num">${percent(t.rejectionRate)}</td><td class="num">${latency(t.p50Us)}</td><td class="num">${latency(t.p95Us)}</td><td class="num">${latency(t.p99Us)}</td></tr></tbody>
</table></div>`;
  return page({
    title: stats.program.name,
    viewer,
    charts: true,
    path: `/programs/${programId}`,
    body: html`<h1>${stats.program.name}</h1>
<p class="lead">From ${timeOf(stats.from, zone)} to ${timeOf(stats.to, zone)}, by UTC hour; chart times in ${zone}.</p>
${rangeForm(programId, range)}
${totals}
<section aria-labelledby="outcomes"><h2 id="outcomes">Outcomes over time</h2>
<div class="chart" data-chart="outcomes" data-source="program-data" data-zone="${zone}" role="img" aria-label="Postbacks per hour by outcome"></div></section>
<section aria-labelledby="latency"><h2 id="latency">Latency percentiles over time (ms)</h2>
<div class="chart" data-chart="latency" data-source="program-data" data-zone="${zone}" role="img" aria-label="Ingest latency p50, p95 and p99 per hour"></div></section>
<section aria-labelledby="rejected"><h2 id="rejected">Rejected by code</h2>
${codeTable("Rejected requests of this program by code", "Code", stats.rejectedByCode, "No rejected requests of this program in the range.")}
${codeTable("The operator's requests rejected before a program was known", "Code", stats.operatorRejectedByCode, "No requests of this operator were rejected before a program was known.")}
</section>
<section aria-labelledby="unattributed"><h2 id="unattributed">Unattributed by reason</h2>
${codeTable("Unattributed events by reason", "Reason", stats.unattributedByReason, "No unattributed events in the range.")}
</section>
${await programFailuresSection(deps, viewer, programId)}
${jsonBlock("program-data", chartsData(stats))}`,
  });
}
