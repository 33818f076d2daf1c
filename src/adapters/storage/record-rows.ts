/** Column lists and row mapping for the high-volume records: clicks, conversions, players, request log. */

import type {
  ClickRow,
  ConversionRow,
  PlayerRow,
  RequestLogRow,
  UnattributedReason,
} from "../../app/records.ts";
import type { RequestOutcome } from "../../domain/request-outcome.ts";
import { storableOrNull, storableText } from "../../domain/storable-text.ts";
import { num, type SqlRow, type SqlValue, str } from "./sql-driver.ts";

export const CLICK_COLUMNS = [
  "click_id",
  "link_id",
  "affiliate_id",
  "program_id",
  "created_at",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
  "ip",
  "user_agent",
  "referer",
] as const;

export const clickValues = (c: ClickRow): SqlValue[] => [
  c.clickId,
  c.linkId,
  c.affiliateId,
  c.programId,
  c.createdAt,
  ...c.subs,
  c.ip,
  c.userAgent,
  c.referer,
];

export const clickFromRow = (r: SqlRow): ClickRow => ({
  clickId: String(r["click_id"]),
  linkId: Number(r["link_id"]),
  affiliateId: Number(r["affiliate_id"]),
  programId: Number(r["program_id"]),
  createdAt: Number(r["created_at"]),
  subs: [str(r["sub1"]), str(r["sub2"]), str(r["sub3"]), str(r["sub4"]), str(r["sub5"])],
  ip: str(r["ip"]),
  userAgent: str(r["user_agent"]),
  referer: str(r["referer"]),
});

/** The backfill that wrote a row, only when one did (a live row reads as before: no such key). */
const sourceOf = (r: SqlRow): { reconciliationId?: string } => {
  const id = str(r["reconciliation_id"]);
  return id === null ? {} : { reconciliationId: id };
};

export const CONVERSION_COLUMNS = [
  "id",
  "operator_id",
  "txid",
  "content_hash",
  "event",
  "program_id",
  "affiliate_id",
  "link_id",
  "click_id",
  "player_id",
  "amount_minor",
  "currency",
  "lots_milli",
  "reverses_id",
  "occurred_at",
  "received_at",
  "unattributed_reason",
  "test",
  "sub_id",
  "extra",
  "response",
  "reconciliation_id",
] as const;

export const conversionValues = (c: ConversionRow): SqlValue[] => [
  c.id,
  c.operatorId,
  c.txid,
  c.contentHash,
  c.event,
  c.programId,
  c.affiliateId,
  c.linkId,
  c.clickId,
  c.playerId,
  c.amountMinor,
  c.currency,
  c.lotsMilli,
  c.reversesId,
  c.occurredAt,
  c.receivedAt,
  c.unattributedReason,
  c.test ? 1 : 0,
  c.subId,
  JSON.stringify(c.extra),
  c.response,
  c.reconciliationId ?? null,
];

export const conversionFromRow = (r: SqlRow): ConversionRow => ({
  id: String(r["id"]),
  operatorId: Number(r["operator_id"]),
  txid: String(r["txid"]),
  contentHash: String(r["content_hash"]),
  event: String(r["event"]),
  programId: num(r["program_id"]),
  affiliateId: num(r["affiliate_id"]),
  linkId: num(r["link_id"]),
  clickId: str(r["click_id"]),
  playerId: str(r["player_id"]),
  amountMinor: num(r["amount_minor"]),
  currency: str(r["currency"]),
  lotsMilli: num(r["lots_milli"]),
  reversesId: str(r["reverses_id"]),
  occurredAt: Number(r["occurred_at"]),
  receivedAt: Number(r["received_at"]),
  unattributedReason: str(r["unattributed_reason"]) as UnattributedReason | null,
  test: Number(r["test"]) === 1,
  subId: str(r["sub_id"]),
  extra: JSON.parse(String(r["extra"])) as Record<string, string>,
  response: String(r["response"]),
  ...sourceOf(r),
});

export const PLAYER_COLUMNS = [
  "operator_id",
  "player_id",
  "click_id",
  "link_id",
  "affiliate_id",
  "program_id",
  "bound_at",
] as const;

export const playerValues = (p: PlayerRow): SqlValue[] => [
  p.operatorId,
  p.playerId,
  p.clickId,
  p.linkId,
  p.affiliateId,
  p.programId,
  p.boundAt,
];

export const playerFromRow = (r: SqlRow): PlayerRow => ({
  operatorId: Number(r["operator_id"]),
  playerId: String(r["player_id"]),
  clickId: str(r["click_id"]),
  linkId: Number(r["link_id"]),
  affiliateId: Number(r["affiliate_id"]),
  programId: Number(r["program_id"]),
  boundAt: Number(r["bound_at"]),
});

export const REQUEST_LOG_COLUMNS = [
  "id",
  "received_at",
  "operator_id",
  "method",
  "path",
  "ip",
  "status",
  "code",
  "reason",
  "latency_us",
  "txid",
  "conversion_id",
  "raw",
  "program_id",
  "outcome",
  "answer",
  "reconciliation_id",
] as const;

/**
 * The request log keeps every request, also those refused for holding text no database can store
 * (a NUL in a txid, quoted in the reason): such text is kept in a safe form (storable-text.ts).
 * `raw` is JSON, where those characters are escaped already.
 */
export const requestLogValues = (l: RequestLogRow): SqlValue[] => [
  l.id,
  l.receivedAt,
  l.operatorId,
  storableText(l.method),
  storableText(l.path),
  storableOrNull(l.ip),
  l.status,
  l.code,
  storableOrNull(l.reason),
  l.latencyUs,
  storableOrNull(l.txid),
  l.conversionId,
  l.raw,
  l.programId,
  l.outcome,
  l.answer,
  l.reconciliationId ?? null,
];

export const requestLogFromRow = (r: SqlRow): RequestLogRow => ({
  id: String(r["id"]),
  receivedAt: Number(r["received_at"]),
  operatorId: num(r["operator_id"]),
  method: String(r["method"]),
  path: String(r["path"]),
  ip: str(r["ip"]),
  status: Number(r["status"]),
  code: String(r["code"]),
  reason: str(r["reason"]),
  latencyUs: Number(r["latency_us"]),
  txid: str(r["txid"]),
  conversionId: str(r["conversion_id"]),
  raw: String(r["raw"]),
  programId: num(r["program_id"]),
  outcome: String(r["outcome"]) as RequestOutcome,
  answer: str(r["answer"]),
  ...sourceOf(r),
});
