/** Conversions, request-log rows and clicks as the API writes them (schemas: record-schemas.ts). */
import type { ConversionView } from "../../../../app/admin/records.ts";
import type { ClickRow, ConversionRow, RequestLogRow } from "../../../../app/records.ts";
import { formatLots, formatMinor } from "../../../../domain/money.ts";
import { csvLine } from "../../csv.ts";
import { iso } from "./schemas.ts";

function amountOf(row: ConversionRow): string | null {
  if (row.amountMinor === null || row.currency === null) return null;
  try {
    return formatMinor(row.amountMinor, row.currency);
  } catch {
    return null;
  }
}

export const conversionJson = (row: ConversionView) => ({
  id: row.id,
  operator_id: row.operatorId,
  txid: row.txid,
  event: row.event,
  program_id: row.programId,
  affiliate_id: row.affiliateId,
  link_id: row.linkId,
  click_id: row.clickId,
  player_id: row.playerId,
  amount: amountOf(row),
  amount_minor: row.amountMinor,
  currency: row.currency,
  lots: row.lotsMilli === null ? null : formatLots(row.lotsMilli),
  reverses_id: row.reversesId,
  occurred_at: iso(row.occurredAt),
  received_at: iso(row.receivedAt),
  attributed: row.unattributedReason === null,
  unattributed_reason: row.unattributedReason,
  test: row.test,
  sub_id: row.subId,
  extra: row.extra,
  reconciliation_id: row.reconciliationId ?? null,
  no_commission_plan: row.noCommissionPlan,
});

function parseRaw(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : { text: raw };
  } catch {
    return { text: raw };
  }
}

export const requestLogJson = (row: RequestLogRow) => ({
  id: row.id,
  received_at: iso(row.receivedAt),
  operator_id: row.operatorId,
  method: row.method,
  path: row.path,
  ip: row.ip,
  status: row.status,
  code: row.code,
  reason: row.reason,
  latency_us: row.latencyUs,
  txid: row.txid,
  conversion_id: row.conversionId,
  program_id: row.programId,
  outcome: row.outcome,
  raw: parseRaw(row.raw),
  answer: row.answer === null ? null : parseRaw(row.answer),
  reconciliation_id: row.reconciliationId ?? null,
});

const REQUEST_LOG_CSV_COLUMNS = [
  "id",
  "received_at",
  "operator_id",
  "program_id",
  "outcome",
  "status",
  "code",
  "reason",
  "latency_us",
  "txid",
  "conversion_id",
  "method",
  "path",
  "ip",
  "raw",
  "answer",
] as const;

/** The request log export's header line. */
export const REQUEST_LOG_CSV_HEADER = `${REQUEST_LOG_CSV_COLUMNS.join(",")}\r\n`;

/** Request-log rows as CSV lines (no header), in REQUEST_LOG_CSV_COLUMNS order. */
export function requestLogCsvLines(rows: readonly RequestLogRow[]): string {
  let out = "";
  for (const r of rows) {
    out += csvLine([
      r.id,
      iso(r.receivedAt),
      r.operatorId,
      r.programId,
      r.outcome,
      r.status,
      r.code,
      r.reason,
      r.latencyUs,
      r.txid,
      r.conversionId,
      r.method,
      r.path,
      r.ip,
      r.raw,
      r.answer,
    ]);
  }
  return out;
}

export const clickJson = (row: ClickRow) => ({
  click_id: row.clickId,
  link_id: row.linkId,
  affiliate_id: row.affiliateId,
  program_id: row.programId,
  created_at: iso(row.createdAt),
  sub1: row.subs[0],
  sub2: row.subs[1],
  sub3: row.subs[2],
  sub4: row.subs[3],
  sub5: row.subs[4],
  ip: row.ip,
  user_agent: row.userAgent,
  referer: row.referer,
});
