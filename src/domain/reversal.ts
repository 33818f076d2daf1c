/**
 * Reversals (refund, chargeback, reversal) undo all or part of an earlier event. History is never
 * edited: a reversal is its own record pointing at the original, for at most what remains of it.
 */
import { fail, ok, type Result } from "./errors.ts";
import { formatMinor } from "./money.ts";

export interface ReversibleEvent {
  readonly event: string;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly reversesId: string | null;
}

/**
 * The amount this reversal takes back (minor units, positive): the given amount, or all that
 * remains. `alreadyReversed` is the sum of earlier reversals, or undefined when there were none
 * (an event without an amount can be reversed once).
 */
export function reversalAmount(
  original: ReversibleEvent,
  alreadyReversed: number | undefined,
  amountMinor: number | undefined,
  currency: string | undefined,
): Result<number | null> {
  if (original.reversesId !== null)
    return fail("invalid_reversal", "A reversal cannot itself be reversed.", "reverses");
  if (original.amountMinor === null || original.currency === null) {
    if (amountMinor !== undefined) {
      return fail(
        "invalid_reversal",
        `The reversed ${original.event} has no amount, so the reversal cannot have one.`,
        "amount",
      );
    }
    if (alreadyReversed !== undefined)
      return fail("reversal_exceeds_original", `The ${original.event} is already reversed.`, "reverses");
    return ok(null);
  }
  if (original.amountMinor <= 0) {
    return fail("invalid_reversal", `Only events with a positive amount can be reversed.`, "reverses");
  }
  const remaining = original.amountMinor - (alreadyReversed ?? 0);
  if (amountMinor === undefined) {
    if (remaining <= 0)
      return fail("reversal_exceeds_original", "The original event is already fully reversed.", "reverses");
    return ok(remaining);
  }
  if (currency !== original.currency) {
    return fail(
      "currency_mismatch",
      `The original event is in ${original.currency}, the reversal in ${currency}.`,
      "currency",
    );
  }
  if (amountMinor <= 0) return fail("invalid_amount", "A reversal amount must be positive.", "amount");
  if (amountMinor > remaining) {
    return fail(
      "reversal_exceeds_original",
      `Only ${formatMinor(Math.max(remaining, 0), original.currency)} ${original.currency} of the original remains to reverse.`,
      "amount",
    );
  }
  return ok(amountMinor);
}
