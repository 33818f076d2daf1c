/**
 * The ports the use cases depend on. Storage adapters (SQLite, PostgreSQL) implement `Store`;
 * the composition root passes a `Clock` and `Ids`. Timestamps are epoch milliseconds.
 */

import type { Vertical } from "../domain/event-types.ts";
import type {
  Affiliate,
  ApiKey,
  Link,
  LinkStatus,
  Operator,
  OperatorAuth,
  Program,
  Role,
  Status,
} from "../domain/model.ts";
import type { ParamMapping } from "../domain/postback-params.ts";
import type { ConsoleSessionStore } from "./access/console-session-port.ts";
import type { CommissionStore } from "./commissions/commission-store-port.ts";
import type { LedgerTx } from "./commissions/ledger-port.ts";
import type { DeliveryStore } from "./delivery/delivery-store-port.ts";
import type { OutboxTx } from "./delivery/outbox-port.ts";
import type { ClickRow, ConversionRow, PlayerRow, RequestLogRow, TimeKey } from "./records.ts";

export interface Clock {
  now(): number;
}

export interface Ids {
  /** A new unique, time-sortable id with the given prefix ("cv", "rq"). */
  next(prefix: string): string;
  /** Cryptographically random bytes. */
  random(size: number): Buffer;
}

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
export interface BatchRecords {
  readonly conversions: readonly ConversionRow[];
  readonly players: readonly PlayerRow[];
  readonly logs: readonly RequestLogRow[];
}

/** One ingest transaction: reads and writes for a batch of postbacks, committed together. */
export interface IngestTx {
  findPlayers(keys: readonly PlayerKey[]): Promise<PlayerRow[]>;
  /** A batch's known conversions and player bindings (one round trip on PostgreSQL). */
  findKnown(keys: {
    readonly conversions: readonly OperatorKey[];
    readonly players: readonly PlayerKey[];
  }): Promise<{ conversions: ConversionRow[]; players: PlayerRow[] }>;
  /** Sum of the amounts already reversed, per original conversion id. */
  reversedTotals(conversionIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * A batch's records at once (one round trip on PostgreSQL): conversions whose (operator, txid)
   * is free, player bindings (the first binding wins: rows for a bound player are ignored), then
   * request-log rows. Returns the conversion ids actually inserted.
   */
  insertRecords(records: BatchRecords): Promise<Set<string>>;
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
}

/**
 * Runs inside the ingest transaction after the batch's new conversions are inserted (duplicates and
 * rejections excluded), so whatever it writes commits, or rolls back, with them. Effects run in the
 * order given: commissions before outbound postbacks.
 */
export type ConversionEffect = (
  tx: IngestTx,
  committed: readonly ConversionRow[],
  context: EffectContext,
) => Promise<void>;

export interface NewOperator {
  readonly name: string;
  readonly key: string;
  readonly status: Status;
  readonly auth: OperatorAuth;
  readonly mapping: ParamMapping;
}
export interface NewProgram {
  readonly operatorId: number;
  readonly name: string;
  readonly vertical: Vertical;
  readonly currency: string;
  readonly landingUrlTemplate: string;
  readonly fallbackUrl: string | null;
  readonly allowedEvents: readonly string[];
  readonly lookbackDays: number;
  readonly status: Status;
}
export interface NewAffiliate {
  readonly name: string;
  readonly email: string | null;
  readonly status: Status;
}
export interface NewLink {
  readonly code: string;
  readonly affiliateId: number;
  readonly programId: number;
  readonly status: LinkStatus;
  readonly landingUrlTemplate: string | null;
}
export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly operatorId: number | null;
  readonly affiliateId: number | null;
  readonly prefix: string;
  readonly hash: string;
}

/** Filters for listing; each adapter applies only those it is given. */
export interface ListFilter {
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly programId?: number;
  readonly limit?: number;
  /** Return rows with id greater than this (keyset pagination). */
  readonly after?: number;
}

export interface RequestLogFilter {
  readonly operatorId?: number;
  readonly code?: string;
  readonly txid?: string;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface ConversionFilter {
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly programId?: number;
  readonly attributed?: boolean;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface ClickFilter {
  /** Clicks on the programs of this operator (clicks carry their link's program, fixed at creation). */
  readonly operatorId?: number;
  readonly affiliateId?: number;
  readonly linkId?: number;
  readonly since?: number;
  readonly until?: number;
  /** Rows older than this one (keyset paging). */
  readonly before?: TimeKey;
  readonly limit?: number;
}

export interface Entities<T, New, Patch = Partial<New>> {
  create(row: New, now: number): Promise<T>;
  get(id: number): Promise<T | undefined>;
  list(filter: ListFilter): Promise<T[]>;
  update(id: number, patch: Patch, now: number): Promise<T | undefined>;
}

/** Entities whose read-modify-write updates must not lose each other's changes. */
export interface GuardedEntities<T, New> extends Entities<T, New> {
  /**
   * Compare-and-set: writes `patch` only while the row still holds the `expected` values (those
   * read before computing the patch). Undefined when the row is missing or was changed meanwhile.
   */
  updateIf(id: number, expected: Partial<New>, patch: Partial<New>, now: number): Promise<T | undefined>;
}

export interface Store {
  readonly engine: "sqlite" | "postgres";
  /** Applies pending migrations; returns the versions applied. */
  migrate(): Promise<number[]>;
  /**
   * Throws when the database cannot take writes now (unreachable, read-only, disk full): what
   * readiness reports. It makes a tiny real commit.
   */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Stores value under key unless one exists; returns the stored value either way. */
  ensureSetting(key: string, value: string): Promise<string>;

  readonly operators: GuardedEntities<Operator, NewOperator> & {
    getByKey(key: string): Promise<Operator | undefined>;
  };
  readonly programs: Entities<Program, NewProgram>;
  readonly affiliates: Entities<Affiliate, NewAffiliate>;
  readonly links: Entities<Link, NewLink> & { getByCode(code: string): Promise<Link | undefined> };
  readonly apiKeys: {
    create(row: NewApiKey, now: number): Promise<ApiKey>;
    findByHash(hash: string): Promise<ApiKey | undefined>;
    list(filter: ListFilter): Promise<ApiKey[]>;
    revoke(id: number, now: number): Promise<ApiKey | undefined>;
    count(): Promise<number>;
    touch(id: number, now: number): Promise<void>;
  };

  /** Writes a batch of clicks in one durable transaction. */
  insertClicks(rows: readonly ClickRow[]): Promise<void>;
  /** Runs one ingest batch in a single durable transaction. */
  ingest<T>(work: (tx: IngestTx) => Promise<T>): Promise<T>;
  /** Writes request-log rows that belong to no ingest batch. */
  insertRequestLogs(rows: readonly RequestLogRow[]): Promise<void>;

  searchRequestLog(filter: RequestLogFilter): Promise<RequestLogRow[]>;
  listConversions(filter: ConversionFilter): Promise<ConversionRow[]>;
  getConversion(id: string): Promise<ConversionRow | undefined>;
  listClicks(filter: ClickFilter): Promise<ClickRow[]>;

  /** Outbound postbacks: endpoints, the outbox outside ingest (dispatcher, admin API), attempts. */
  readonly deliveries: DeliveryStore;

  /** Commissions outside ingest: plans, rates, ledger reports, approval and payouts. */
  readonly commissions: CommissionStore;

  /** Console sign-ins. */
  readonly consoleSessions: ConsoleSessionStore;

  /** Deletes request-log rows and clicks older than the given times, in bounded chunks. */
  prune(before: { requestLog: number; clicks: number }): Promise<{ requestLog: number; clicks: number }>;
}
