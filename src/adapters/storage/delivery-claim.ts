/**
 * The dispatcher's hot path over SQL, for both engines: claiming due rows and recording outcomes.
 * Claims follow graphile/worker: due rows are locked by a worker (locked_at/locked_by) and their
 * attempts counted in one statement; on PostgreSQL FOR UPDATE SKIP LOCKED, so several processes
 * share the outbox and never take the same row twice. Both run inside a transaction the caller
 * opens, so a batch of outcomes and the next claim can share one commit (one fsync on SQLite).
 */
import type { ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";
import type { Delivery } from "../../app/delivery/outbox-port.ts";
import { ATTEMPT_COLUMNS, attemptValues, deliveryFromRow } from "./delivery-rows.ts";
import type { SqlExecutor } from "./sql-driver.ts";

const marks = (count: number): string => new Array(count).fill("?").join(", ");

// EXISTS, not IN: SQLite then reads due rows in deliveries_due (run_at, id) order and stops at the
// LIMIT, instead of collecting every due row of the active endpoints and sorting them.
export const ACTIVE_ENDPOINT =
  "EXISTS (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.status = 'active')";

const FREE = "state = 'pending' AND run_at <= ? AND (locked_at IS NULL OR locked_at < ?)";

/** Candidates first, capped per endpoint (one backed-up endpoint cannot fill a claim); then the lock. */
export async function claimIn(
  tx: SqlExecutor,
  engine: "sqlite" | "postgres",
  request: ClaimRequest,
): Promise<Delivery[]> {
  if (request.limit <= 0) return [];
  const busy = request.busyEndpoints.length
    ? ` AND endpoint_id NOT IN (${marks(request.busyEndpoints.length)})`
    : "";
  const candidates = await tx.all(
    `SELECT id, endpoint_id FROM deliveries WHERE ${FREE} AND ${ACTIVE_ENDPOINT}${busy} ORDER BY run_at, id LIMIT ?`,
    [request.now, request.staleBefore, ...request.busyEndpoints, request.limit * 4],
  );
  const perEndpoint = new Map<number, number>();
  const picked: string[] = [];
  for (const row of candidates) {
    const endpoint = Number(row["endpoint_id"]);
    const taken = perEndpoint.get(endpoint) ?? request.inFlight?.get(endpoint) ?? 0;
    if (taken >= request.perEndpoint || picked.length >= request.limit) continue;
    perEndpoint.set(endpoint, taken + 1);
    picked.push(String(row["id"]));
  }
  if (!picked.length) return [];
  const skipLocked = engine === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  const rows = await tx.all(
    `UPDATE deliveries SET locked_at = ?, locked_by = ?, attempts = attempts + 1, updated_at = ?
     WHERE id IN (SELECT id FROM deliveries WHERE id IN (${marks(picked.length)}) AND ${FREE}${skipLocked})
     RETURNING *`,
    [request.now, request.workerId, request.now, ...picked, request.now, request.staleBefore],
  );
  return rows.map(deliveryFromRow).sort((a, b) => a.runAt - b.runAt);
}

/** Outcomes and attempt-log rows of many deliveries (only where this worker still holds the claim). */
export async function finishIn(tx: SqlExecutor, items: readonly FinishItem[]): Promise<void> {
  // Key order, so concurrent batches of several processes never wait on each other in a cycle.
  const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const { id, workerId, outcome, now } of ordered) {
    await tx.run(
      `UPDATE deliveries SET state = ?, run_at = ?, last_error = ?, last_status = ?,
         delivered_at = COALESCE(?, delivered_at), locked_at = NULL, locked_by = NULL, updated_at = ?
       WHERE id = ? AND locked_by = ?`,
      [
        outcome.state,
        outcome.runAt,
        outcome.lastError,
        outcome.lastStatus,
        outcome.deliveredAt,
        now,
        id,
        workerId,
      ],
    );
  }
  const attempts = ordered.flatMap((item) => (item.attempt ? [attemptValues(item.attempt)] : []));
  if (attempts.length) await tx.insertMany("delivery_attempts", ATTEMPT_COLUMNS, attempts);
}
