/** Builders for the high-volume records (conversions, players, request log, clicks) in storage tests. */
import type { IngestTx, OperatorKey } from "../../src/app/ingest/ingest-port.ts";
import type { ClickRow, ConversionRow, PlayerRow, RequestLogRow } from "../../src/app/records.ts";
import { requestOutcome } from "../../src/domain/request-outcome.ts";

let sequence = 0;
/** A unique id with a prefix, sortable in creation order within one test process. */
export const uniqueId = (prefix: string): string =>
  `${prefix}_${Date.now().toString(36)}${(++sequence).toString(36).padStart(6, "0")}`;

export function conversionRow(overrides: Partial<ConversionRow> = {}): ConversionRow {
  const id = overrides.id ?? uniqueId("cv");
  return {
    id,
    operatorId: 1,
    txid: `tx-${id}`,
    contentHash: "h".repeat(64),
    event: "ftd",
    programId: 10,
    affiliateId: 20,
    linkId: 30,
    clickId: "click-1",
    playerId: null,
    amountMinor: 10_050,
    currency: "EUR",
    lotsMilli: null,
    reversesId: null,
    occurredAt: 1_760_000_000_000,
    receivedAt: 1_760_000_000_500,
    unattributedReason: null,
    test: false,
    subId: null,
    extra: {},
    response: JSON.stringify({ code: "accepted", conversion_id: id, attributed: true }),
    ...overrides,
  };
}

export function playerRow(overrides: Partial<PlayerRow> = {}): PlayerRow {
  return {
    operatorId: 1,
    playerId: uniqueId("pl"),
    clickId: "click-1",
    linkId: 30,
    affiliateId: 20,
    programId: 10,
    boundAt: 1_760_000_000_000,
    ...overrides,
  };
}

/** A logged request; its outcome, unless given, is the one its status and code make (request-outcome.ts). */
export function requestLogRow(overrides: Partial<RequestLogRow> = {}): RequestLogRow {
  const status = overrides.status ?? 200;
  const code = overrides.code ?? "accepted";
  return {
    id: uniqueId("rq"),
    receivedAt: 1_760_000_000_000,
    operatorId: 1,
    method: "GET",
    path: "/v1/postback/op",
    ip: "203.0.113.7",
    status: 200,
    code: "accepted",
    reason: null,
    latencyUs: 1234,
    txid: null,
    conversionId: null,
    raw: JSON.stringify({ method: "GET", query: "event=ftd", headers: {}, body: "" }),
    programId: 10,
    outcome: requestOutcome({ status, code, unattributed: false, test: false }),
    answer: '{"code":"accepted"}',
    ...overrides,
  };
}

export function clickRow(overrides: Partial<ClickRow> = {}): ClickRow {
  return {
    clickId: uniqueId("ck"),
    linkId: 30,
    affiliateId: 20,
    programId: 10,
    createdAt: 1_760_000_000_000,
    subs: ["s1", null, "s3", null, "s5"],
    ip: "203.0.113.0",
    userAgent: "Mozilla/5.0",
    referer: null,
    ...overrides,
  };
}

/** Conversions alone through the batch write: the ids actually inserted (conflicts skipped). */
export const insertConversions = (tx: IngestTx, rows: readonly ConversionRow[]): Promise<Set<string>> =>
  tx.insertRecords({ conversions: rows, players: [], logs: [] });

/** Player bindings alone through the batch write (first binding wins). */
export async function insertPlayers(tx: IngestTx, rows: readonly PlayerRow[]): Promise<void> {
  await tx.insertRecords({ conversions: [], players: rows, logs: [] });
}

/** Conversions by key alone: findKnown with no players, the plain look-up on both engines. */
export async function findConversions(tx: IngestTx, keys: readonly OperatorKey[]): Promise<ConversionRow[]> {
  return (await tx.findKnown({ conversions: keys, players: [] })).conversions;
}
