/**
 * The delivery rows a claim may take (delivery-claim.ts and each engine's claim-due.ts): pending,
 * due (`run_at <= ?`: now) and not held by a live claim (`locked_at < ?`: the lease's start).
 */
export const FREE = "state = 'pending' AND run_at <= ? AND (locked_at IS NULL OR locked_at < ?)";
