/** Commission reads and writes outside ingest: plans, rates, parents, ledger reports, jobs. */
import type { AdjustmentAction, AdjustmentReason } from "../../domain/commissions/adjust.ts";
import type { Terms } from "../../domain/commissions/terms.ts";
import type { OutboxTx } from "../delivery/outbox-port.ts";
import type { EntryStatus, LedgerEntry, PlanVersion, RateVersion } from "./ledger-port.ts";

interface NewPlanVersion {
  readonly programId: number;
  readonly affiliateId: number | null;
  readonly effectiveFrom: number;
  readonly terms: Terms;
  readonly note: string | null;
}

export interface LedgerFilter {
  readonly affiliateId?: number;
  readonly programId?: number;
  readonly period?: string;
  readonly status?: EntryStatus;
  readonly conversionId?: string;
  readonly limit?: number;
  /** Entries with id greater than this (keyset pagination). */
  readonly after?: string;
}

export interface Balance {
  readonly affiliateId: number;
  readonly currency: string;
  readonly pendingMinor: number;
  /** Approved and not yet paid: what the next payout would be. */
  readonly approvedMinor: number;
  readonly paidMinor: number;
  readonly reversedMinor: number;
}

/** Payouts to list, newest first. */
export interface PayoutFilter {
  readonly affiliateId?: number;
  /**
   * Only payouts holding entries of this program, each narrowed to that program's share:
   * `amountMinor` and `entries` count only its entries (a payout spans every program it paid).
   */
  readonly programId?: number;
  readonly period?: string;
  /** 1–1000, default 100. */
  readonly limit?: number;
  /** Only payouts listed after this one (keyset pagination on the listing's order). */
  readonly before?: PayoutKey;
}

/** Where a payout stands in the newest-first order: `createdAt` descending, then `id` descending. */
export interface PayoutKey {
  readonly createdAt: number;
  readonly id: string;
}

export interface PayoutRow {
  readonly id: string;
  readonly affiliateId: number;
  readonly period: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly entries: number;
  readonly createdAt: number;
}

/** A manager's decision on a conversion; its money is in the ledger entries written with it. */
export interface Adjustment {
  readonly id: string;
  readonly conversionId: string;
  readonly action: AdjustmentAction;
  readonly reasonCode: AdjustmentReason;
  readonly note: string | null;
  /** Net of the entries written, in `currency` (the program currency). */
  readonly amountMinor: number;
  readonly currency: string;
  readonly entries: number;
  readonly createdByKeyId: number | null;
  readonly createdAt: number;
  /** The client's key for retries of the same request (unique per conversion); null when none. */
  readonly idempotencyKey?: string | null;
}

/** The entries of a conversion not written against another entry, with what compensated each so far. */
export type OpenEntry = LedgerEntry & { compensatedMinor: number };

/** An adjustment as written, with the conversion's entries as they were read before it. */
export interface AdjustmentWritten {
  readonly adjustment: Adjustment;
  readonly entries: readonly LedgerEntry[];
  readonly before: readonly OpenEntry[];
}

/**
 * Runs in the adjustment's transaction once it is written (the outbound messages forwarding it):
 * whatever it writes commits, or rolls back, with the adjustment.
 */
export type AdjustmentEffect = (outbox: OutboxTx, written: AdjustmentWritten) => Promise<void>;

export interface AdjustOptions {
  /** A retry with this key answers the adjustment already made with it (`replayed`), writing nothing. */
  readonly idempotencyKey?: string | null;
  readonly effect?: AdjustmentEffect;
}

export interface CommissionStore {
  createPlan(row: NewPlanVersion, now: number): Promise<PlanVersion>;
  listPlans(programId: number): Promise<PlanVersion[]>;
  /** The plan and deal versions of several programs (one query), oldest first. */
  plansOf(programIds: readonly number[]): Promise<PlanVersion[]>;
  createRate(row: RateVersion, now: number): Promise<RateVersion & { id: number }>;
  listRates(): Promise<Array<RateVersion & { id: number }>>;
  setParent(affiliateId: number, parentId: number | null): Promise<void>;
  parentOf(affiliateId: number): Promise<number | null>;
  listEntries(filter: LedgerFilter): Promise<LedgerEntry[]>;
  balances(filter: { affiliateId?: number; programId?: number; period?: string }): Promise<Balance[]>;
  /** The balances of each period (month) asked for, in that order, from one read. */
  balancesByPeriod(filter: {
    affiliateId?: number;
    periods: readonly string[];
  }): Promise<Array<{ period: string; balances: Balance[] }>>;
  /** Pending entries whose hold ended: reversed when fully compensated, else approved. */
  approveDue(now: number): Promise<{ approved: number; reversed: number }>;
  /** Pays approved entries of `period` and earlier (net positive per affiliate and currency). */
  markPaid(
    period: string,
    affiliateId: number | undefined,
    now: number,
    newId: () => string,
  ): Promise<PayoutRow[]>;
  listPayouts(filter: PayoutFilter): Promise<PayoutRow[]>;
  /** The payout `id` as `listPayouts(filter)` would show it, if that listing holds it (`limit` and `before` aside). */
  findPayout(id: string, filter: PayoutFilter): Promise<PayoutRow | undefined>;
  /**
   * In one transaction: reads the conversion's entries (locked on PostgreSQL); answers the
   * adjustment already made with `idempotencyKey` if there is one (`replayed`); else lets `decide`
   * build the adjustment and its entries (it may throw to write nothing), writes them and runs
   * `effect`.
   */
  adjustConversion(
    conversionId: string,
    decide: (entries: readonly OpenEntry[]) => { adjustment: Adjustment; entries: LedgerEntry[] },
    options?: AdjustOptions,
  ): Promise<{ adjustment: Adjustment; entries: LedgerEntry[]; replayed: boolean }>;
  listAdjustments(conversionId: string): Promise<Adjustment[]>;
}
