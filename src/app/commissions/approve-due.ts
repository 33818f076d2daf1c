/**
 * Use case: the hold-period job. Pending entries whose hold ended become approved, unless the
 * conversion was reversed in full meanwhile (then the entry and its compensations are reversed).
 */
import type { Clock, Store } from "../ports.ts";

export function approveDueEntries(
  store: Store,
  clock: Clock,
): Promise<{ approved: number; reversed: number }> {
  return store.commissions.approveDue(clock.now());
}
