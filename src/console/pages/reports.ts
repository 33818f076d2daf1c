/**
 * Reports (`/reports`): clicks, conversions, amounts and commissions by affiliate × program × day,
 * week or month of the event's time in the viewer's time zone; "Download CSV" gives exactly the
 * table shown (report-table.ts writes both).
 */

import { type ReportCell, reportHeader, reportTable } from "../../adapters/http/report-table.ts";
import type { AdminDeps } from "../../app/admin/deps.ts";
import { listPrograms } from "../../app/admin/programs.ts";
import { allOf } from "../../app/stats/overview.ts";
import { getReport, type Report, type ReportInput } from "../../app/stats/reports.ts";
import { addDays, addMonths, localDate, REPORT_GROUPS, type ReportGroup } from "../../domain/calendar.ts";
import type { Program } from "../../domain/model.ts";
import { select } from "../form-fields.ts";
import { recordId } from "../form-values.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";

export type ReportQuery = Record<string, string | undefined>;

/** The report the page's filters ask for: this month so far, by day, by default. */
function reportInputOf(query: ReportQuery, viewer: Viewer, now: number): ReportInput {
  const today = localDate(now, viewer.timeZone);
  const groupBy = REPORT_GROUPS.includes(query["group_by"] as ReportGroup)
    ? (query["group_by"] as ReportGroup)
    : "day";
  return {
    from: query["from"] || `${today.slice(0, 8)}01`,
    to: query["to"] || today,
    groupBy,
    timeZone: viewer.timeZone,
    affiliateId: recordId(query["affiliate_id"]),
    programId: recordId(query["program_id"]),
  };
}

export function loadReport(deps: AdminDeps, viewer: Viewer, query: ReportQuery): Promise<Report> {
  return getReport(deps, viewer.principal, reportInputOf(query, viewer, deps.clock.now()));
}

function filters(input: ReportInput, programs: readonly Program[], viewer: Viewer): SafeHtml {
  return html`<form method="get" action="/reports" class="filters">
  <label for="from">From</label><input id="from" name="from" type="date" value="${input.from}" required>
  <label for="to">To</label><input id="to" name="to" type="date" value="${input.to}" required>
  <label for="group_by">Group by</label>
  ${select(
    REPORT_GROUPS.map((g) => [g, g] as const),
    input.groupBy,
  )(html`id="group_by" name="group_by"`)}
  ${
    viewer.principal.role === "affiliate"
      ? ""
      : html`<label for="affiliate_id">Affiliate ID</label><input id="affiliate_id" name="affiliate_id" type="number" min="1" inputmode="numeric" value="${input.affiliateId ?? ""}">
  <label for="program_id">Program</label>
  ${select(
    [["", "all"], ...programs.map((p) => [String(p.id), p.name] as const)],
    String(input.programId ?? ""),
  )(html`id="program_id" name="program_id"`)}`
  }
  <button type="submit">Show</button>
</form>`;
}

/** The local dates a report's period covers: its first, and the first after it. */
function periodDates(period: string, group: ReportGroup): [string, string] {
  if (group === "month") return [`${period}-01`, `${addMonths(period, 1)}-01`];
  return [period, addDays(period, group === "week" ? 7 : 1)];
}

/** The conversions of a report's line (period × affiliate × program), listed with their timelines. */
function conversionsOf(cells: readonly ReportCell[], report: Report): SafeHtml {
  const [period, affiliateId, , programId] = cells;
  const [from, until] = periodDates(String(period), report.input.groupBy);
  const q = new URLSearchParams({
    affiliate_id: String(affiliateId),
    program_id: String(programId),
    occurred_from: from,
    occurred_until: until,
  });
  return html`<a href="/conversions?${q.toString()}">List<span class="visually-hidden"> the conversions of ${String(period)}</span></a>`;
}

function table(report: Report): SafeHtml {
  const lines = reportTable(report);
  if (!lines.length) return html`<p class="empty">Nothing in this period.</p>`;
  return html`<div class="table-wrap"><table class="report">
  <caption>By ${report.input.groupBy}, on the event's time in ${report.input.timeZone}</caption>
  <thead><tr>${reportHeader(report).map((h) => html`<th scope="col">${h}</th>`)}<th scope="col">Conversions</th></tr></thead>
  <tbody>${lines.map(
    (line) =>
      html`<tr>${line.map((cell) => html`<td${typeof cell === "number" || /^-?\d+\.\d+$/.test(String(cell)) ? html` class="num"` : ""}>${cell ?? ""}</td>`)}<td>${conversionsOf(line, report)}</td></tr>`,
  )}</tbody>
</table></div>`;
}

export async function reportsPage(deps: AdminDeps, viewer: Viewer, query: ReportQuery): Promise<string> {
  const report = await loadReport(deps, viewer, query);
  const programs =
    viewer.principal.role === "affiliate"
      ? []
      : await allOf((after) => listPrograms(deps, viewer.principal, { limit: 500, after }));
  const { input } = report;
  const params = new URLSearchParams({ from: input.from, to: input.to, group_by: input.groupBy });
  if (input.affiliateId) params.set("affiliate_id", String(input.affiliateId));
  if (input.programId) params.set("program_id", String(input.programId));
  return page({
    title: "Reports",
    viewer,
    path: "/reports",
    body: html`<h1>Reports</h1>
<p class="lead">Periods are ${input.groupBy === "week" ? "weeks from Monday" : `${input.groupBy}s`} of the event's time (occurred_at) in <strong>${input.timeZone}</strong> (change it at the bottom of the page), ${input.from} to ${input.to} included.</p>
${filters(input, programs, viewer)}
<p><a class="button" href="/reports.csv?${params.toString()}" download>Download CSV</a></p>
${table(report)}`,
  });
}
