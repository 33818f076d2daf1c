/** Wire shapes of conversions, request-log rows and clicks (schemas and presenters together). */
import {
  type ClickRow,
  type ConversionRow,
  type RequestLogRow,
  UNATTRIBUTED_REASONS,
} from "../../../../app/records.ts";
import { formatLots, formatMinor } from "../../../../domain/money.ts";
import { ID, iso, nullable, record, TIME } from "./schemas.ts";

const STRING = { type: "string" } as const;
const TEXT = nullable(STRING);
const NUMBER_OR_NULL = nullable(ID);

export const TIME_RANGE = {
  since: { ...TIME, description: "From this time (inclusive)." },
  until: { ...TIME, description: "Before this time (exclusive)." },
} as const;

export const CONVERSION = record({
  id: STRING,
  operator_id: ID,
  txid: STRING,
  event: STRING,
  program_id: NUMBER_OR_NULL,
  affiliate_id: NUMBER_OR_NULL,
  link_id: NUMBER_OR_NULL,
  click_id: TEXT,
  player_id: TEXT,
  amount: nullable({ type: "string", description: "Exact decimal in the currency's minor unit." }),
  amount_minor: nullable({ type: "integer" }),
  currency: TEXT,
  lots: TEXT,
  reverses_id: TEXT,
  occurred_at: TIME,
  received_at: TIME,
  attributed: { type: "boolean" },
  unattributed_reason: nullable({ type: "string", enum: [...UNATTRIBUTED_REASONS, null] }),
  test: { type: "boolean" },
  sub_id: TEXT,
  extra: { type: "object", additionalProperties: STRING },
});

function amountOf(row: ConversionRow): string | null {
  if (row.amountMinor === null || row.currency === null) return null;
  try {
    return formatMinor(row.amountMinor, row.currency);
  } catch {
    return null;
  }
}

export const conversionWire = (row: ConversionRow) => ({
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
});

export const REQUEST_LOG = record({
  id: STRING,
  received_at: TIME,
  operator_id: NUMBER_OR_NULL,
  method: STRING,
  path: STRING,
  ip: TEXT,
  status: { type: "integer" },
  code: STRING,
  reason: TEXT,
  latency_us: { type: "integer" },
  txid: TEXT,
  conversion_id: TEXT,
  raw: {
    type: "object",
    additionalProperties: true,
    description: "The request as received, secrets redacted.",
  },
});

function parseRaw(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : { text: raw };
  } catch {
    return { text: raw };
  }
}

export const requestLogWire = (row: RequestLogRow) => ({
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
  raw: parseRaw(row.raw),
});

export const CLICK = record({
  click_id: STRING,
  link_id: ID,
  affiliate_id: ID,
  program_id: ID,
  created_at: TIME,
  sub1: TEXT,
  sub2: TEXT,
  sub3: TEXT,
  sub4: TEXT,
  sub5: TEXT,
  ip: nullable({ type: "string", description: "In the configured privacy-safe form." }),
  user_agent: TEXT,
  referer: TEXT,
});

export const clickWire = (row: ClickRow) => ({
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
