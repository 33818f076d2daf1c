/**
 * A report as a table: what the console's reports page shows and what its CSV and
 * GET /v1/reports.csv download, cell for cell. One line per period × affiliate × program; a second
 * currency of the same row continues on a line of its own (counts left empty there), so every
 * amount cell is one decimal number. Event types other than the three named ones get a column
 * each ("Events: registration").
 */
import type { Report } from "../../app/stats/reports.ts";
import { formatMinor } from "../../domain/money.ts";
import { csvLine } from "./csv.ts";

const NAMED_EVENTS = new Set(["ftd", "qualified_trader", "challenge_purchase"]);

/** The other event types of the report, each a column of its own after the named counts. */
const otherEvents = (report: Report): string[] =>
  [...new Set(report.rows.flatMap((r) => Object.keys(r.events)))].filter((e) => !NAMED_EVENTS.has(e)).sort();

/** The table's header: fixed columns, with a column per other event type before the money. */
export function reportHeader(report: Report): string[] {
  const fixed = [...REPORT_HEADER];
  const money = fixed.indexOf("Currency");
  return [...fixed.slice(0, money), ...otherEvents(report).map((e) => `Events: ${e}`), ...fixed.slice(money)];
}

const REPORT_HEADER = [
  "Period",
  "Affiliate ID",
  "Affiliate",
  "Program ID",
  "Program",
  "Clicks",
  "Conversions",
  "First deposits",
  "Qualified traders",
  "Challenge purchases",
  "Currency",
  "Amount",
  "Commission pending",
  "Commission approved",
  "Commission reversed",
  "Commission paid",
] as const;

export type ReportCell = string | number | null;

export function reportTable(report: Report): ReportCell[][] {
  const lines: ReportCell[][] = [];
  const others = otherEvents(report);
  for (const row of report.rows) {
    const currencies = [
      ...new Set([...row.amounts.map((a) => a.currency), ...row.commissions.map((c) => c.currency)]),
    ].sort();
    const head: ReportCell[] = [
      row.period,
      row.affiliate.id,
      row.affiliate.name,
      row.program.id,
      row.program.name,
    ];
    const counts: ReportCell[] = [
      row.clicks,
      row.conversions,
      row.firstDeposits,
      row.qualifiedTraders,
      row.challengePurchases,
      ...others.map((e) => row.events[e] ?? 0),
    ];
    const money = (currency: string): ReportCell[] => {
      const amount = row.amounts.find((a) => a.currency === currency)?.amountMinor ?? 0;
      const c = row.commissions.find((x) => x.currency === currency);
      const minor = [
        amount,
        c?.pendingMinor ?? 0,
        c?.approvedMinor ?? 0,
        c?.reversedMinor ?? 0,
        c?.paidMinor ?? 0,
      ];
      return [currency, ...minor.map((m) => formatMinor(m, currency))];
    };
    if (currencies.length === 0) lines.push([...head, ...counts, null, null, null, null, null, null]);
    for (const [i, currency] of currencies.entries())
      lines.push([...head, ...(i === 0 ? counts : counts.map(() => null)), ...money(currency)]);
  }
  return lines;
}

/** The report's table as CSV (csv.ts: RFC 4180, cells a spreadsheet would evaluate neutralised). */
export function reportCsv(report: Report): string {
  return csvLine(reportHeader(report)) + reportTable(report).map(csvLine).join("");
}

/** "report-2026-12-01-2026-12-31-day-Asia_Kolkata.csv" */
export function reportFileName(report: Report): string {
  const { from, to, groupBy, timeZone } = report.input;
  return `report-${from}-${to}-${groupBy}-${timeZone}.csv`;
}
