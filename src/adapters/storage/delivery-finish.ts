/**
 * Recording a batch of attempt outcomes (the dispatcher's group commit), inside a transaction the
 * caller opens: each delivery's new state, only where this worker still holds the claim, and the
 * attempt-log rows. The UPDATE's shape differs per engine because the costs do (the engines'
 * finish-outcomes.ts); the attempt rows go in with one insertMany (PostgreSQL: INSERT … unnest).
 */
import type { FinishItem } from "../../app/delivery/delivery-store-port.ts";
import { ATTEMPT_COLUMNS, attemptValues } from "./delivery-rows.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import type { SqlExecutor } from "./sql-driver.ts";

/** Outcomes and attempt-log rows of many deliveries (only where this worker still holds the claim). */
export async function finishIn(
  tx: SqlExecutor,
  dialect: SqlDialect,
  items: readonly FinishItem[],
): Promise<void> {
  if (!items.length) return;
  // Key order, so concurrent batches of several processes never wait on each other in a cycle.
  const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await dialect.updateOutcomes(tx, ordered);
  const attempts = ordered.flatMap((item) => (item.attempt ? [attemptValues(item.attempt)] : []));
  // A batch retried after its COMMIT was lost may find its attempt rows already there.
  if (attempts.length)
    await tx.insertMany("delivery_attempts", ATTEMPT_COLUMNS, attempts, { ignoreConflicts: "id" });
}
