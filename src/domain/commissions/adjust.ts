/**
 * Manual adjustments by a manager (DESIGN §3): reject a conversion (compensate what remains of each
 * of its entries) or adjust it by a signed amount, always with a reason code from a closed set.
 * History is never edited: both write new entries that explain themselves.
 */

import { compensateRemainders } from "./reverse.ts";

export const ADJUSTMENT_REASONS = [
  "fraud",
  "duplicate_player",
  "bonus_abuse",
  "chargeback_manual",
  "goodwill",
  "other",
] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];

export const ADJUSTMENT_ACTIONS = ["reject", "adjust"] as const;
export type AdjustmentAction = (typeof ADJUSTMENT_ACTIONS)[number];

export interface AdjustableEntry {
  readonly id: string;
  readonly affiliateId: number;
  readonly component: string;
  readonly amountMinor: number;
  /** Sum of what was already written against it (reversals, earlier adjustments). */
  readonly compensatedMinor: number;
}

export interface AdjustmentLine {
  /** The entry compensated (reject), or null for an adjustment by amount. */
  readonly entryId: string | null;
  readonly affiliateId: number;
  readonly component: string;
  readonly amountMinor: number;
  readonly figure: string;
  readonly text: string;
}

/** Reject: each entry's remainder (amount + what compensated it so far) is negated; nothing left → no line. */
export function rejectLines(entries: readonly AdjustableEntry[], reason: AdjustmentReason): AdjustmentLine[] {
  return compensateRemainders(
    entries,
    (e, amount) =>
      `Rejected by a manager (${reason}): ${e.component} ${e.amountMinor} with ${e.compensatedMinor} already compensated, compensated by ${amount}.`,
  );
}

/** Adjust: one line of `amountMinor` (signed) for the conversion's affiliate. */
export function adjustLine(
  affiliateId: number,
  amountMinor: number,
  reason: AdjustmentReason,
): AdjustmentLine {
  const verb = amountMinor >= 0 ? "credited" : "debited";
  return {
    entryId: null,
    affiliateId,
    component: "manual",
    amountMinor,
    figure: `${amountMinor}`,
    text: `Adjusted by a manager (${reason}): ${verb} ${Math.abs(amountMinor)}.`,
  };
}
