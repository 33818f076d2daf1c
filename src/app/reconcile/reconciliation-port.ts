/**
 * Storage of reconciliation runs (reconcile-events.ts, backfill-missing.ts): the run, one row per
 * line of its result, and the reads that compare a file with what was received.
 */
import type { Difference, ReceivedEvent, ReconciliationCategory } from "../../domain/reconciliation.ts";

const RUN_STATUSES = ["running", "done", "failed", "refused"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How many rows of a run fell in each category. */
export type CategoryCounts = Record<ReconciliationCategory, number>;

/** One day and event type of a run's summary (UTC day of occurred_at). */
export interface DaySummary {
  readonly day: string;
  readonly event: string;
  readonly counts: CategoryCounts;
}

export interface ReconciliationRun {
  readonly id: string;
  readonly operatorId: number;
  /** The period compared: occurred_at in [from, to). */
  readonly from: number;
  readonly to: number;
  readonly format: "csv" | "jsonl";
  /** SHA-256 (hex) of the file's bytes as uploaded, and their count. */
  readonly fileSha256: string;
  readonly fileBytes: number;
  readonly status: RunStatus;
  /** Why a run was refused or failed. */
  readonly error: string | null;
  readonly counts: CategoryCounts;
  readonly summary: readonly DaySummary[];
  readonly createdByKeyId: number | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

/** One row of a run's result. */
export interface ResultRow {
  /** Order within the run: file order, extras after the file. */
  readonly seq: number;
  readonly category: ReconciliationCategory;
  /** The file's line (1 is the first line; a CSV header is line 1); null for extras. */
  readonly line: number | null;
  readonly txid: string | null;
  readonly event: string | null;
  readonly occurredAt: number | null;
  /** A missing row as contract parameters (what a backfill ingests); null for every other row. */
  readonly fields: ReadonlyArray<readonly [string, string]> | null;
  readonly differences: readonly Difference[] | null;
  /** Why a malformed row was refused, or what a duplicate repeats. */
  readonly error: string | null;
  /** The conversion received (matched, mismatched, extra) or written by a backfill (missing). */
  readonly conversionId: string | null;
  /** The answer code of this row's backfill (accepted, duplicate, txid_conflict…); null: not run. */
  readonly backfillCode: string | null;
}

export const BACKFILL_STATUSES = ["running", "done", "failed"] as const;
export type BackfillStatus = (typeof BACKFILL_STATUSES)[number];

/** One backfill of a run's missing rows, kept as its own record (who, when, what was asked, what came of it). */
export interface Backfill {
  readonly id: string;
  readonly reconciliationId: string;
  /** The txids asked for; null: every missing row. */
  readonly txids: readonly string[] | null;
  readonly status: BackfillStatus;
  /** Missing rows ingested by this backfill. */
  readonly attempted: number;
  /** Rows asked for that an earlier backfill had settled (left alone). */
  readonly alreadyDone: number;
  /** Answer codes of the rows ingested, counted. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly createdByKeyId: number | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

/** How one row of a backfill was answered. */
export interface BackfillRow {
  /** The run's row (ResultRow.seq). */
  readonly seq: number;
  readonly txid: string | null;
  readonly code: string;
  /** The conversion made (accepted) or found (duplicate). */
  readonly conversionId: string | null;
}

/** A conversion received in the period that the file does not name. */
interface ExtraEvent {
  readonly conversionId: string;
  readonly txid: string;
  readonly event: string;
  readonly occurredAt: number;
}

export interface RunFilter {
  readonly operatorId?: number;
  readonly limit: number;
  /** Newest first, strictly older than this (created_at, id). */
  readonly before?: { readonly at: number; readonly id: string };
}

/** What a run found, or why it ended without a result. */
export type RunResult = Pick<
  ReconciliationRun,
  "status" | "error" | "counts" | "summary" | "fileSha256" | "fileBytes" | "finishedAt"
>;

export interface ReconciliationStore {
  create(run: ReconciliationRun): Promise<void>;
  /** Sets what a finished run found. */
  finish(id: string, result: RunResult): Promise<void>;
  /**
   * Ends a run that did not finish (refused, failed) with none of its rows: those of a write still
   * in flight too, which is waited for; a write after this one stores nothing (insertRows).
   */
  abandon(id: string, result: RunResult): Promise<void>;
  get(id: string): Promise<ReconciliationRun | undefined>;
  list(filter: RunFilter): Promise<ReconciliationRun[]>;
  /** What was received under these txids of the operator (with the txid each one reverses). */
  received(operatorId: number, txids: readonly string[]): Promise<ReceivedEvent[]>;
  /** Which of these txids already have a row in the run, malformed ones aside (a repeated txid). */
  seen(runId: string, txids: readonly string[]): Promise<Set<string>>;
  /** Adds rows to a running run; throws RunEndedError once the run was abandoned. */
  insertRows(runId: string, rows: readonly ResultRow[]): Promise<void>;
  /**
   * The live conversions of the run's operator with occurred_at in [from, to) that no row of the
   * run names, in (occurred_at, id) order after `after`, at most `limit`.
   */
  extras(
    run: ReconciliationRun,
    after: { readonly at: number; readonly id: string } | undefined,
    limit: number,
  ): Promise<ExtraEvent[]>;
  /** A page of a run's rows, in seq order after `afterSeq`, optionally of one category. */
  rows(
    runId: string,
    filter: {
      readonly category?: ReconciliationCategory;
      readonly afterSeq?: number;
      readonly limit: number;
      readonly txids?: readonly string[];
    },
  ): Promise<ResultRow[]>;
  /** Records the outcome of rows' backfill on the run's rows and as the backfill's rows, in one transaction. */
  markBackfilled(runId: string, backfillId: string, outcomes: readonly BackfillRow[]): Promise<void>;
  createBackfill(backfill: Backfill): Promise<void>;
  finishBackfill(
    id: string,
    result: Pick<Backfill, "status" | "attempted" | "alreadyDone" | "outcomes" | "finishedAt">,
  ): Promise<void>;
  getBackfill(id: string): Promise<Backfill | undefined>;
  /** A run's backfills, newest first, at most `limit`. */
  backfills(runId: string, limit: number): Promise<Backfill[]>;
  /** A page of a backfill's rows in seq order after `afterSeq`. */
  backfillRows(
    backfillId: string,
    filter: { readonly afterSeq?: number; readonly limit: number },
  ): Promise<BackfillRow[]>;
}

/** A run's rows written after the run was abandoned: nothing was stored. */
export class RunEndedError extends Error {
  constructor(runId: string) {
    super(`reconciliation ${runId} is no longer running: its rows were not stored`);
    this.name = "RunEndedError";
  }
}
