/**
 * Reversals (refund, chargeback, reversal) write compensating entries in proportion to the amount
 * taken back; history is never edited. The compensation is computed on the cumulative share
 * reversed, so partial reversals add up exactly to the negated entry and never exceed it.
 */
import { share } from "./exact.ts";

const DAY = 86_400_000;

export interface ReversibleEntry {
  readonly id: string;
  readonly affiliateId: number;
  readonly component: string;
  readonly amountMinor: number;
  readonly windowDays: number | null;
  /** Sum (≤ 0) of the compensations already written for this entry. */
  readonly compensatedMinor: number;
}

/**
 * The state of a compensating entry (reversal or manual reject): of a pending entry it stays
 * pending with the same hold, so both end together; of an approved or paid one (or of nothing, a
 * manual credit) it is approved at once and counts in the next balance.
 */
export function compensationState(
  original: { readonly status: string; readonly approveAt: number } | undefined,
  now: number,
): { status: "pending" | "approved"; approveAt: number; approvedAt: number | null } {
  return original?.status === "pending"
    ? { status: "pending", approveAt: original.approveAt, approvedAt: null }
    : { status: "approved", approveAt: now, approvedAt: now };
}

export interface ReversalInput {
  /** The original event: its amount (null when it had none) and when it happened. */
  readonly originalAmountMinor: number | null;
  readonly originalAt: number;
  /** Amount reversed before this reversal, and by this one (null: the whole event). */
  readonly reversedBeforeMinor: number;
  readonly reversedNowMinor: number | null;
  readonly reversalAt: number;
}

export interface Compensation {
  readonly entryId: string;
  readonly affiliateId: number;
  readonly component: string;
  readonly amountMinor: number;
  readonly text: string;
  readonly figure: string;
}

/** The compensating amounts for the entries of a reversed conversion (entries outside their window are left). */
export function compensate(entries: readonly ReversibleEntry[], input: ReversalInput): Compensation[] {
  const out: Compensation[] = [];
  const whole =
    input.originalAmountMinor === null || input.originalAmountMinor <= 0 || input.reversedNowMinor === null;
  const cumulative = whole
    ? null
    : Math.min(input.reversedBeforeMinor + input.reversedNowMinor!, input.originalAmountMinor!);
  for (const entry of entries) {
    if (entry.amountMinor === 0) continue;
    if (entry.windowDays !== null && input.reversalAt > input.originalAt + entry.windowDays * DAY) continue;
    const target =
      cumulative === null
        ? -entry.amountMinor
        : -share(entry.amountMinor, BigInt(cumulative), BigInt(input.originalAmountMinor!));
    const amount = target - entry.compensatedMinor;
    // Already compensated at least this far (e.g. rejected by a manager): never give money back.
    if (amount === 0 || Math.sign(amount) === Math.sign(entry.amountMinor)) continue;
    const part = cumulative === null ? "all" : `${cumulative}/${input.originalAmountMinor}`;
    out.push({
      entryId: entry.id,
      affiliateId: entry.affiliateId,
      component: entry.component,
      amountMinor: amount,
      figure: `-(${entry.amountMinor} × ${part}) - (${entry.compensatedMinor}) = ${amount}`,
      text: `Reversal of ${part === "all" ? "the whole" : part} of the original: ${entry.component} ${entry.amountMinor} compensated by ${amount}.`,
    });
  }
  return out;
}

/**
 * What remains of each entry (its amount and what compensated it so far), negated: a manager's
 * reject and a recalculation's replacement. Nothing left, no line; `text` says why, in words.
 */
export function compensateRemainders(
  entries: readonly Pick<
    ReversibleEntry,
    "id" | "affiliateId" | "component" | "amountMinor" | "compensatedMinor"
  >[],
  text: (
    entry: { component: string; amountMinor: number; compensatedMinor: number },
    amount: number,
  ) => string,
): Compensation[] {
  const out: Compensation[] = [];
  for (const e of entries) {
    const remaining = e.amountMinor + e.compensatedMinor;
    if (remaining === 0) continue;
    out.push({
      entryId: e.id,
      affiliateId: e.affiliateId,
      component: e.component,
      amountMinor: -remaining,
      figure: `-(${e.amountMinor} + (${e.compensatedMinor})) = ${-remaining}`,
      text: text(e, -remaining),
    });
  }
  return out;
}
