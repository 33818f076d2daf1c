/**
 * PostgreSQL's outcome updates (sql-dialect.ts: updateOutcomes): one UPDATE … FROM
 * json_to_recordset for the whole batch, one round trip instead of one per delivery.
 */
import type { FinishItem } from "../../../app/delivery/delivery-store-port.ts";
import type { SqlExecutor } from "../sql-driver.ts";

// The claim counted an attempt; a finish with no attempt row sent nothing and gives it back (unsent).
const UPDATE_BATCH = `UPDATE deliveries AS d SET state = j.state, run_at = j.run_at, last_error = j.last_error,
  last_status = j.last_status, delivered_at = COALESCE(j.delivered_at, d.delivered_at),
  attempts = d.attempts - j.unsent, locked_at = NULL, locked_by = NULL, updated_at = j.now
  FROM json_to_recordset(?::json) AS j(id text, worker_id text, state text, run_at bigint,
    last_error text, last_status bigint, delivered_at bigint, unsent int, now bigint)
  WHERE d.id = j.id AND d.locked_by = j.worker_id`;

export async function updateOutcomes(tx: SqlExecutor, items: readonly FinishItem[]): Promise<void> {
  const rows = items.map(({ id, workerId, outcome, attempt, now }) => ({
    id,
    worker_id: workerId,
    state: outcome.state,
    run_at: outcome.runAt,
    last_error: outcome.lastError,
    last_status: outcome.lastStatus,
    delivered_at: outcome.deliveredAt,
    unsent: attempt ? 0 : 1,
    now,
  }));
  await tx.run(UPDATE_BATCH, [JSON.stringify(rows)]);
}
