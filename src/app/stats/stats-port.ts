/**
 * What the stats and reports use cases read: the rollups (012_rollups.sql), never the raw request
 * log, clicks, conversions or deliveries.
 */
import type { RequestOutcome } from "../../domain/request-outcome.ts";

/** Postbacks of one operator, program (null: not known, e.g. rejected), outcome, code and latency bucket. */
export interface PostbackCount {
  readonly operatorId: number | null;
  readonly programId: number | null;
  /** Start of the UTC hour, when asked for by hour. */
  readonly hourAt: number | null;
  readonly outcome: RequestOutcome;
  readonly code: string;
  readonly latencyLeUs: number;
  readonly count: number;
}

export interface PostbackQuery {
  /** Hours from (inclusive) and to (exclusive), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** One program's postbacks… */
  readonly programId?: number;
  /** …or one operator's (all its programs, and those of no known program). */
  readonly operatorId?: number;
  /** Keep each hour apart (charts), or sum the range. */
  readonly byHour: boolean;
}

/** Clicks (`event` "click") or conversions of one type, with amounts in one currency (null: none). */
export interface ActivityCount {
  readonly affiliateId: number;
  readonly programId: number;
  /** The label of the period it falls in. */
  readonly period: string;
  readonly event: string;
  readonly currency: string | null;
  readonly count: number;
  readonly amountMinor: number;
}

export interface CommissionAmount {
  readonly affiliateId: number;
  readonly programId: number;
  readonly period: string;
  readonly currency: string;
  readonly status: string;
  readonly amountMinor: number;
}

/** A period of a report: its buckets from `start` (inclusive) to `end` (exclusive), epoch ms. */
export interface ReportPeriod {
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

export interface ReportQuery {
  /** 15-minute buckets from (inclusive) and to (exclusive), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Contiguous periods covering from…to: rows are summed per period by the database. */
  readonly periods: readonly ReportPeriod[];
  readonly affiliateId?: number;
  /** Only these programs (an operator key's); undefined for all. */
  readonly programIds?: readonly number[];
}

/**
 * Outbound deliveries of a program's conversions created in a window, by what they are now:
 * delivered, waiting after a failed attempt, dead.
 */
export interface DeliveryCount {
  readonly programId: number;
  readonly ok: number;
  readonly failing: number;
  readonly dead: number;
}

export interface StatsStore {
  postbackCounts(query: PostbackQuery): Promise<PostbackCount[]>;
  reportActivity(query: ReportQuery): Promise<ActivityCount[]>;
  reportCommissions(query: ReportQuery): Promise<CommissionAmount[]>;
  /** Deliveries created since `since` (from its hour), per program. */
  deliveryCounts(since: number): Promise<DeliveryCount[]>;
  /**
   * Folds the report activity appended by recent writes into its rollup (a background job, every
   * second); returns how many appended rows it folded. No report changes by it.
   */
  foldActivity(): Promise<number>;
}
