/**
 * What the commission effect reads and writes inside an ingest transaction (issue: commissions).
 * Implemented by src/adapters/storage/ledger-tx.ts over the same SQL transaction. Every read takes
 * the keys of a whole batch, so a batch costs a few statements, not a few per conversion.
 */
import type { Terms } from "../../domain/commissions/terms.ts";

/** A version of a program's plan (affiliateId null) or of an affiliate's deal. */
export interface PlanVersion {
  readonly id: number;
  readonly programId: number;
  readonly affiliateId: number | null;
  readonly effectiveFrom: number;
  readonly terms: Terms;
  readonly note: string | null;
  readonly createdAt: number;
}

export interface RateVersion {
  readonly base: string;
  readonly quote: string;
  /** Quote units per 1 base unit, exact decimal text. */
  readonly rate: string;
  readonly effectiveFrom: number;
}

export interface PlayerKey {
  readonly programId: number;
  readonly operatorId: number;
  readonly playerKey: string;
}

/** An earlier event of a player, as the qualification rules need it. */
export interface HistoryEvent {
  readonly conversionId: string;
  readonly operatorId: number;
  readonly playerId: string;
  readonly event: string;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly lotsMilli: number | null;
  readonly occurredAt: number;
}

export interface UsageKey {
  readonly affiliateId: number;
  readonly programId: number;
  readonly period: string;
}

export interface UsageRow extends UsageKey {
  readonly qualified: number;
  readonly paidCpa: number;
  readonly paidMinor: number;
  /** Net revshare this month: commissions and their clawbacks (floors excluded). */
  readonly revshareMinor: number;
}

export const ENTRY_STATUSES = ["pending", "approved", "reversed", "paid"] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];
/**
 * `floor`: keeps a month's revshare ≥ 0 (`negativeCarryOver: false`); `adjustment`: written by a
 * manager (reject or adjust, `reason` = its reason code, `reverses_entry_id` = the entry rejected).
 */
const ENTRY_KINDS = ["commission", "override", "clawback", "adjustment", "floor"] as const;
type EntryKind = (typeof ENTRY_KINDS)[number];

export interface LedgerEntry {
  readonly id: string;
  readonly conversionId: string;
  readonly operatorId: number;
  readonly programId: number;
  readonly affiliateId: number;
  readonly playerKey: string | null;
  readonly kind: EntryKind;
  readonly component: string;
  readonly status: EntryStatus;
  readonly amountMinor: number;
  readonly currency: string;
  readonly sourceAmountMinor: number | null;
  readonly sourceCurrency: string | null;
  readonly fxRate: string | null;
  readonly reason: string | null;
  readonly windowDays: number | null;
  readonly reversesEntryId: string | null;
  readonly period: string;
  /** {rule, inputs, figure, text}: the entry explains itself. */
  readonly explain: Readonly<Record<string, unknown>>;
  readonly occurredAt: number;
  readonly createdAt: number;
  readonly approveAt: number;
  readonly approvedAt: number | null;
  readonly paidAt: number | null;
  readonly payoutId: string | null;
}

export interface Qualification extends PlayerKey {
  readonly affiliateId: number;
  readonly conversionId: string;
  readonly period: string;
  /** Whether the CPA was paid (not capped): counts toward the count cap. */
  readonly paid: boolean;
  readonly qualifiedAt: number;
}

/** What the rules need of a program. */
export interface ProgramTerms {
  readonly id: number;
  readonly currency: string;
  readonly lookbackDays: number;
}

export interface LedgerTx {
  /**
   * These programs, read in the transaction (not through the catalog: on SQLite a read outside
   * the open transaction would wait for it to end).
   */
  programs(programIds: readonly number[]): Promise<Map<number, ProgramTerms>>;
  /** Every plan and deal version of these programs. */
  plans(programIds: readonly number[]): Promise<PlanVersion[]>;
  /** Parent affiliate by child id, for those that have one. */
  parents(affiliateIds: readonly number[]): Promise<Map<number, number>>;
  /** Every version of the rates base→quote for these pairs. */
  rates(pairs: ReadonlyArray<{ base: string; quote: string }>): Promise<RateVersion[]>;
  /** The player keys among these that already qualified for a CPA. */
  qualified(keys: readonly PlayerKey[]): Promise<Set<string>>;
  /** Earlier non-test, non-reversal events of these players, and when each player was bound. */
  history(
    keys: ReadonlyArray<{ operatorId: number; playerId: string }>,
  ): Promise<{ events: HistoryEvent[]; boundAt: Map<string, number> }>;
  /**
   * Month usage of these keys, from running totals (one indexed row per key). With `lock`,
   * concurrent transactions using the same affiliate and program wait for each other first
   * (PostgreSQL), so caps and floors see each other's entries.
   */
  usage(keys: readonly UsageKey[], lock?: boolean): Promise<UsageRow[]>;
  /**
   * What earning a batch reads before deciding, at once (PostgreSQL: one statement): which of
   * `qualified` already qualified for a CPA; the history and binding time of the players of
   * `history` whose key did not qualify yet (a qualified player's history is never needed, and
   * would grow with the player); the month usage of `months` unless `lockMonths` is given. With
   * `lockMonths`, takes those month locks after the reads, as `lockMonths()` does, and leaves
   * `usage` out: it must be read by `usage()` afterwards, in a statement that sees what the
   * previous holder of a lock committed.
   */
  earnReads(request: EarnReadsRequest): Promise<EarnReads>;
  /**
   * Takes the month locks `usage(…, true)` takes, without reading: a batch that will lock the
   * originals' entries takes all of its month locks first, in one ordered call (no lock cycles).
   */
  lockMonths(keys: ReadonlyArray<{ affiliateId: number; programId: number }>): Promise<void>;
  /**
   * The entries of these conversions (not compensations), with what was compensated of each;
   * locked until the transaction ends where the engine allows it (PostgreSQL: FOR UPDATE).
   */
  entriesOf(conversionIds: readonly string[]): Promise<Array<LedgerEntry & { compensatedMinor: number }>>;
  /**
   * Removes the CPA qualifications these conversions made (each by its player key, and only if
   * that conversion made it), with what they added to month usage: a recalculation under another
   * plan version decides them again. Returns how many were removed.
   */
  releaseQualifications(keys: ReadonlyArray<PlayerKey & { readonly conversionId: string }>): Promise<number>;
  /**
   * Writes a batch's CPA qualifications (those whose player key is free) and ledger entries, with
   * the month usage and balances they add to. Fewer qualifications inserted than given means
   * another batch qualified one of the players first: it throws `lost()` (roll back and decide
   * again). The write may be sent with the transaction's next write (the ingest on PostgreSQL: with
   * the outbox insert, one round trip), so the error may come from that write or from the end of
   * the transaction; either rolls the transaction back.
   */
  recordLater(
    written: { readonly qualifications: readonly Qualification[]; readonly entries: readonly LedgerEntry[] },
    lost: () => Error,
  ): Promise<void>;
}

/** A history look-up for earnReads: the player, and the CPA key that must not have qualified. */
interface HistoryKey {
  readonly key: PlayerKey;
  readonly playerId: string;
}

export interface EarnReadsRequest {
  readonly qualified: readonly PlayerKey[];
  readonly history: readonly HistoryKey[];
  readonly months: readonly UsageKey[];
  /** The month locks to take, or undefined for none. */
  readonly lockMonths?: ReadonlyArray<{ affiliateId: number; programId: number }>;
}

interface EarnReads {
  readonly qualified: Set<string>;
  readonly events: HistoryEvent[];
  readonly boundAt: Map<string, number>;
  /** Undefined when locks were taken (read it with `usage()`). */
  readonly usage: UsageRow[] | undefined;
}

/** `${programId}:${operatorId}:${playerKey}` */
export const playerKeyOf = (k: PlayerKey): string => `${k.programId}:${k.operatorId}:${k.playerKey}`;
