/**
 * Recalculation under the plan now in force (issue: commissions that start right, "a wrong plan
 * version"): a conversion whose commissions were decided by a plan or deal version that no longer
 * applies to its time has what remains of each rule-made entry compensated, and is then decided
 * again by the rules as at ingest. History is never edited: both steps write new entries.
 */
import { type Compensation, compensateRemainders, type ReversibleEntry } from "./reverse.ts";

/** The plan and deal versions that decided an entry (its explanation's plan_id and deal_id). */
export interface VersionRef {
  readonly planId: number | null;
  readonly dealId: number | null;
}

/** A rule-made entry of a conversion (kind commission or override), with the version that wrote it. */
export interface DecidedEntry {
  readonly createdAt: number;
  /** Undefined when the entry predates explanations naming their version. */
  readonly version: VersionRef | undefined;
}

/**
 * Whether the conversion's latest decision (its newest rule-made entries) was taken under another
 * version than `current`. A conversion decided again is current afterwards, so a second run finds
 * nothing to do; entries that name no version are left alone (nothing says they are wrong).
 */
export function decidedUnderOtherVersion(entries: readonly DecidedEntry[], current: VersionRef): boolean {
  if (!entries.length) return false;
  const newest = Math.max(...entries.map((e) => e.createdAt));
  return entries.some(
    (e) =>
      e.createdAt === newest &&
      e.version !== undefined &&
      (e.version.planId !== current.planId || e.version.dealId !== current.dealId),
  );
}

/** The version an entry's explanation names, or undefined when it names none. */
export function versionOf(explain: Readonly<Record<string, unknown>>): VersionRef | undefined {
  if (!("plan_id" in explain)) return undefined;
  const id = (value: unknown) => (typeof value === "number" ? value : null);
  return { planId: id(explain["plan_id"]), dealId: id(explain["deal_id"]) };
}

/** What remains of each entry compensated, saying which version replaces it; nothing left, no line. */
export function replacementLines(entries: readonly ReversibleEntry[], current: VersionRef): Compensation[] {
  const by = `plan ${current.planId ?? "none"}${current.dealId === null ? "" : ` and deal ${current.dealId}`}`;
  return compensateRemainders(
    entries,
    (e, amount) =>
      `Replaced by a recalculation under ${by}: ${e.component} ${e.amountMinor} with ${e.compensatedMinor} already compensated, compensated by ${amount}.`,
  );
}
