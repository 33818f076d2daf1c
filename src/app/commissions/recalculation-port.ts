/**
 * Storage of recalculations (recalculate-commissions.ts): the unearned conversions of a program
 * read in the recalculation's own transaction, the paid periods it must not touch unasked, and the
 * record of each run.
 */
import type { IngestTx } from "../ingest/ingest-port.ts";
import type { ConversionRow } from "../records.ts";

export const RECALCULATION_MODES = ["unearned", "replan"] as const;
export type RecalculationMode = (typeof RECALCULATION_MODES)[number];

/** Amounts written, per currency and entry status (minor units). */
export type RecalculationTotals = Record<string, Record<string, number>>;

export interface Recalculation {
  readonly id: string;
  readonly programId: number;
  /** The range of `occurred_at` recalculated: [from, to). */
  readonly from: number;
  readonly to: number;
  readonly includePaidPeriods: boolean;
  /**
   * `unearned`: only conversions with no ledger entry at all; `replan`: those too, and every
   * conversion whose commissions were decided under another plan or deal version than the one now
   * in force (their remainders compensated, then decided again).
   */
  readonly mode: RecalculationMode;
  /** Conversions that got entries. */
  readonly conversions: number;
  readonly entries: number;
  /** Conversions decided under another version whose entries were compensated and decided again. */
  readonly replaced: number;
  /** Unearned conversions left alone because their affiliate was paid for their month. */
  readonly skippedPaid: number;
  readonly totals: RecalculationTotals;
  readonly createdByKeyId: number | null;
  readonly createdAt: number;
}

export interface UnearnedFilter {
  readonly programId: number;
  readonly from: number;
  readonly to: number;
}

export interface RecalculationTx {
  /**
   * Live, attributed conversions of the program with `occurred_at` in [from, to) and no ledger
   * entry at all (reversals included), oldest first, at most `limit`.
   */
  unearned(filter: UnearnedFilter, limit: number): Promise<ConversionRow[]>;
  /**
   * Live, attributed original conversions (not reversals) of the program with `occurred_at` in
   * [from, to) that have rule-made entries (commission or override) and no manual adjustment, on
   * themselves or their reversals (a manager's decision is never recalculated), oldest first, at
   * most `limit`.
   */
  decided(filter: UnearnedFilter, limit: number): Promise<ConversionRow[]>;
  /** The live reversals of these conversions, oldest first. */
  reversalsOf(conversionIds: readonly string[]): Promise<ConversionRow[]>;
  /**
   * What each of these conversions pays its own affiliate now (entries other than a parent's
   * overrides, net of everything written on the conversion), by conversion id.
   */
  ownTotals(
    conversions: ReadonlyArray<{ readonly id: string; readonly affiliateId: number }>,
  ): Promise<Map<string, number>>;
  /** Which of these (affiliate, month) pairs have a payout: `${affiliateId}:${period}`. */
  paidPeriods(
    keys: ReadonlyArray<{ readonly affiliateId: number; readonly period: string }>,
  ): Promise<Set<string>>;
  record(run: Recalculation): Promise<void>;
}

export interface RecalculationStore {
  /** Runs `work` in one durable write transaction (rolled back when it throws). */
  run<T>(work: (tx: IngestTx, recalculation: RecalculationTx) => Promise<T>): Promise<T>;
  /** A program's recalculations, newest first. */
  list(programId: number): Promise<Recalculation[]>;
}
