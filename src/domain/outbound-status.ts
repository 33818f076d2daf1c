/**
 * The statuses an outbound postback says (DESIGN §4): the `{status}` macro, the `statuses` an
 * endpoint subscribes to, and the outbox key. A message's status is always one an endpoint can
 * subscribe to by that same name, so what an affiliate asked for is what its tracker receives.
 *
 * - `created`: the conversion is recorded; `approved`: its commission is approved;
 * - `reversed`: the operator refunded or charged it back (`refund`, `chargeback`, `reversal`);
 * - `rejected`: a manager rejected it (what remained of its commission is taken back);
 * - `adjusted`: a manager changed its commission by an amount (credit or debit).
 *
 * `rejected` is not `reversed`: trackers (Keitaro, Binom…) have a "rejected" status of their own,
 * and the reason codes differ (fraud, bonus abuse… against refund, chargeback).
 */
import type { AdjustmentAction } from "./commissions/adjust.ts";

export const FIRE_STATUSES = ["created", "approved", "reversed", "rejected", "adjusted"] as const;
export type FireStatus = (typeof FIRE_STATUSES)[number];

/**
 * What a new endpoint subscribes to when it names no statuses: recorded conversions and every
 * movement that takes money back or changes it (DESIGN §3: a manual reject or adjustment "is
 * forwarded to affiliates like a reversal"). Endpoints stored before `rejected` and `adjusted`
 * existed keep exactly the statuses they list: a tracker that never heard of them is not sent them.
 */
export const DEFAULT_FIRE_STATUSES: readonly FireStatus[] = ["created", "reversed", "rejected", "adjusted"];

/** The status of the message forwarding a manager's decision. */
export function adjustmentStatus(action: AdjustmentAction): "rejected" | "adjusted" {
  return action === "reject" ? "rejected" : "adjusted";
}

/** A ledger line as the figures of an adjustment message need it. */
export interface MoneyLine {
  readonly affiliateId: number;
  readonly amountMinor: number;
  /** What was already written against the line (reversals, earlier adjustments); 0 for new lines. */
  readonly compensatedMinor?: number;
}

/**
 * The money an adjustment message carries for one affiliate: `deltaMinor`, what the adjustment
 * changed (negative when money is taken back), and `totalMinor`, the affiliate's net commission on
 * the conversion after it. `before` are the conversion's entries (each with what compensated it)
 * as read in the adjustment's transaction, `written` the adjustment's own lines. Lines of other
 * affiliates (a parent's overrides) are not this affiliate's money.
 */
export function adjustmentFigures(
  before: readonly MoneyLine[],
  written: readonly MoneyLine[],
  affiliateId: number,
): { deltaMinor: number; totalMinor: number } {
  const mine = (lines: readonly MoneyLine[]) => lines.filter((l) => l.affiliateId === affiliateId);
  const deltaMinor = mine(written).reduce((sum, l) => sum + l.amountMinor, 0);
  const net = mine(before).reduce((sum, l) => sum + l.amountMinor + (l.compensatedMinor ?? 0), 0);
  return { deltaMinor, totalMinor: net + deltaMinor };
}
