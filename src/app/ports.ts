/**
 * The ports every use case shares. Storage adapters (SQLite, PostgreSQL) implement `Store`, which
 * gathers the stores of each use case (ingest/ingest-port.ts, admin/entities-port.ts,
 * commissions/, delivery/); the composition root passes a `Clock` and `Ids`. Timestamps are epoch milliseconds.
 */

import type { Affiliate, ApiKey, Link, Operator, Program } from "../domain/model.ts";
import type { ConsoleSessionStore } from "./access/console-session-port.ts";
import type {
  ClickFilter,
  ConversionFilter,
  Entities,
  GuardedEntities,
  ListFilter,
  NewAffiliate,
  NewApiKey,
  NewLink,
  NewOperator,
  NewProgram,
  OperatorActivity,
  RequestLogFilter,
} from "./admin/entities-port.ts";
import type { TimelineReads } from "./admin/timeline-port.ts";
import type { AlertFactsReader, AlertStore } from "./alerts/alert-port.ts";
import type { CommissionStore } from "./commissions/commission-store-port.ts";
import type { RecalculationStore } from "./commissions/recalculation-port.ts";
import type { DeliveryStore } from "./delivery/delivery-store-port.ts";
import type { IngestTx } from "./ingest/ingest-port.ts";
import type { TraceStore } from "./ingest/trace-port.ts";
import type { ReconciliationStore } from "./reconcile/reconciliation-port.ts";
import type { ClickRow, ConversionRow, RequestLogRow } from "./records.ts";
import type { StatsStore } from "./stats/stats-port.ts";

export interface Clock {
  now(): number;
}

export interface Ids {
  /** A new unique, time-sortable id with the given prefix ("cv", "rq"). */
  next(prefix: string): string;
  /** Cryptographically random bytes. */
  random(size: number): Buffer;
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
    /** When each operator last sent a postback (request log) and last had one accepted (conversions). */
    activity(operatorIds: readonly number[]): Promise<Map<number, OperatorActivity>>;
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
  /** Alerts, their webhooks and notifications (app/alerts). */
  readonly alerts: AlertStore;
  /** What the alert rules read. */
  readonly alertFacts: AlertFactsReader;
  /** A conversion's story, click to money, and the console's search (each an index look-up). */
  readonly timeline: TimelineReads;
  /** Commissions recalculated for conversions received while no plan was in force. */
  readonly recalculations: RecalculationStore;
  /** Reconciliation runs: an operator's own list of events compared with what was received. */
  readonly reconciliations: ReconciliationStore;
  /** Writes request-log rows that belong to no ingest batch. */
  insertRequestLogs(rows: readonly RequestLogRow[]): Promise<void>;

  searchRequestLog(filter: RequestLogFilter): Promise<RequestLogRow[]>;
  getRequestLog(id: string): Promise<RequestLogRow | undefined>;
  listConversions(filter: ConversionFilter): Promise<ConversionRow[]>;
  getConversion(id: string): Promise<ConversionRow | undefined>;
  listClicks(filter: ClickFilter): Promise<ClickRow[]>;

  /** Outbound postbacks: endpoints, the outbox outside ingest (dispatcher, admin API), attempts. */
  readonly deliveries: DeliveryStore;

  /** Commissions outside ingest: plans, rates, ledger reports, approval and payouts. */
  readonly commissions: CommissionStore;

  /** Step traces of traced postbacks (go-live tooling). */
  readonly traces: TraceStore;

  /** Console sign-ins. */
  readonly consoleSessions: ConsoleSessionStore;

  /** Stats and reports, read from the rollups. */
  readonly stats: StatsStore;

  /** Deletes request-log rows and clicks older than the given times, in bounded chunks. */
  prune(before: { requestLog: number; clicks: number }): Promise<{ requestLog: number; clicks: number }>;
}
