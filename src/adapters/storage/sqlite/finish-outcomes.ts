/**
 * SQLite's outcome updates (sql-dialect.ts: updateOutcomes): in process, with no round trips, one
 * prepared single-row UPDATE per delivery. Measured on SQLite 3.53 with 40-row batches, that costs
 * ≈ 1.2 µs a row against ≈ 4–5 µs for UPDATE … FROM (VALUES …) or json_each, which SQLite
 * materialises before updating (bench/DELIVERIES.md).
 */
import type { FinishItem } from "../../../app/delivery/delivery-store-port.ts";
import type { SqlExecutor } from "../sql-driver.ts";

// The claim counted an attempt; a finish with no attempt row sent nothing and gives it back.
const UPDATE_ONE = `UPDATE deliveries SET state = ?, run_at = ?, last_error = ?, last_status = ?,
  delivered_at = COALESCE(?, delivered_at), attempts = attempts - ?, locked_at = NULL, locked_by = NULL,
  updated_at = ? WHERE id = ? AND locked_by = ?`;

export async function updateOutcomes(tx: SqlExecutor, items: readonly FinishItem[]): Promise<void> {
  for (const { id, workerId, outcome, attempt, now } of items) {
    await tx.run(UPDATE_ONE, [
      outcome.state,
      outcome.runAt,
      outcome.lastError,
      outcome.lastStatus,
      outcome.deliveredAt,
      attempt ? 0 : 1,
      now,
      id,
      workerId,
    ]);
  }
}
