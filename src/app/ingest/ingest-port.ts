/**
 * The ingest transaction the postback use case writes through (one durable commit per batch), and
 * the conversion effects (commissions, outbound postbacks) that run inside it.
 */

import type { PostbackTrace } from "../../domain/postback-trace.ts";
import type { LedgerTx } from "../commissions/ledger-port.ts";
import type { OutboxTx } from "../delivery/outbox-port.ts";
import type { ClickRow, ConversionRow, PlayerRow, RequestLogRow } from "../records.ts";
import type { SignatureEvidenceRow, TraceRow } from "./trace-port.ts";

export interface OperatorKey {
  readonly operatorId: number;
  readonly txid: string;
}

/** A player's key: the operator and its player id. */
export interface PlayerKey {
  readonly operatorId: number;
  readonly playerId: string;
}

/** What one ingest batch writes besides its effects. */
interface BatchRecords {
  readonly conversions: readonly ConversionRow[];
  readonly players: readonly PlayerRow[];
  readonly logs: readonly RequestLogRow[];
}

/** One ingest transaction: reads and writes for a batch of postbacks, committed together. */
export interface IngestTx {
  findPlayers(keys: readonly PlayerKey[]): Promise<PlayerRow[]>;
  /**
   * A batch's known conversions and player bindings (one round trip on PostgreSQL). Where the
   * engine reads them in the same round trip (PostgreSQL), also the clicks named by `clicks`, for
   * the effects (`EffectContext.clicks`); elsewhere `clicks` is undefined and effects read their own.
   */
  findKnown(keys: {
    readonly conversions: readonly OperatorKey[];
    readonly players: readonly PlayerKey[];
    readonly clicks?: readonly string[];
  }): Promise<{ conversions: ConversionRow[]; players: PlayerRow[]; clicks?: ClickRow[] }>;
  /** Sum of the amounts already reversed, per original conversion id. */
  reversedTotals(conversionIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * A batch's records at once (one round trip on PostgreSQL): conversions whose (operator, txid)
   * is free, player bindings (the first binding wins: rows for a bound player are ignored), then
   * request-log rows. Returns the conversion ids actually inserted.
   */
  insertRecords(records: BatchRecords): Promise<Set<string>>;
  /** Step traces of the batch's traced postbacks (test events), beside their request-log rows. */
  insertTraces(rows: readonly TraceRow[]): Promise<void>;
  /** What the batch's refused signatures were checked over (for postwire postback verify --log-entry). */
  insertSignatureEvidence(rows: readonly SignatureEvidenceRow[]): Promise<void>;
  /** Ledger reads and writes in the same transaction (commissions). */
  readonly ledger: LedgerTx;
  /** Outbox writes in the same transaction (outbound postbacks). */
  readonly outbox: OutboxTx;
}

/** One commission line of a conversion, as the outbound effect needs it for `{payout}`. */
export interface Payout {
  readonly conversionId: string;
  readonly affiliateId: number;
  /** Signed minor units in `currency` (negative for clawbacks). */
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: string;
}

/** Shared by the effects of one batch, in order: commissions fill `payouts`, outbound reads them. */
export interface EffectContext {
  readonly payouts: Map<string, Payout[]>;
  /** When the clicks the batch's postbacks named were issued (verified once, at ingest), by id. */
  readonly clickTimes: ReadonlyMap<string, number>;
  /** Run once the batch has committed (never when it rolls back): e.g. wake the dispatcher. */
  readonly afterCommit: Array<() => void>;
  /** The step traces of the batch's traced conversions, by conversion id (absent: none traced). */
  readonly traces?: ReadonlyMap<string, PostbackTrace>;
  /**
   * Clicks read with the batch's first statement (PostgreSQL), for effects that would read them:
   * `asked` are the ids looked up (a missing row is a click not stored), `rows` those found.
   */
  readonly clicks?: { readonly asked: ReadonlySet<string>; readonly rows: ReadonlyMap<string, ClickRow> };
}

/**
 * Runs inside the ingest transaction after the batch's new conversions are inserted (duplicates and
 * rejections excluded), so whatever it writes commits, or rolls back, with them. Effects run in the
 * order given: commissions before outbound postbacks.
 */
export interface ConversionEffect {
  (tx: IngestTx, committed: readonly ConversionRow[], context: EffectContext): Promise<void>;
  /**
   * Whether it may read the clicks of these affiliates' conversions (the outbound macros): if so,
   * the batch reads the clicks its postbacks name with its first statement, where it can.
   */
  readonly readsClicks?: (affiliateIds: ReadonlySet<number>) => boolean;
}
