/**
 * A report as a table: what the console's reports page shows and what its CSV and
 * GET /v1/reports.csv download, cell for cell. One line per period × affiliate × program; a second
 * currency of the same row continues on a line of its own (counts left empty there), so every
 * amount cell is one decimal number.
 */
import type { Report } from "../../app/stats/reports.ts";
import { formatMinor } from "../../domain/money.ts";
import { csvLine } from "./csv.ts";

export const REPORT_HEADER = [
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
  return csvLine([...REPORT_HEADER]) + reportTable(report).map(csvLine).join("");
}

/** "report-2026-12-01-2026-12-31-day-Asia_Kolkata.csv" */
export function reportFileName(report: Report): string {
  const { from, to, groupBy, timeZone } = report.input;
  return `report-${from}-${to}-${groupBy}-${timeZone}.csv`;
}
