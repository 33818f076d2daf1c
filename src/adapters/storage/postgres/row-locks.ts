/** PostgreSQL's row locks (sql-dialect.ts: lockIds, lockPairs, forUpdate). */
import { marks, type SqlExecutor } from "../sql-driver.ts";

export const forUpdate = " FOR UPDATE";

/** Held until commit, taken in id order (no two transactions wait on each other in a cycle). */
export async function lockIds(tx: SqlExecutor, table: string, ids: readonly string[]): Promise<void> {
  if (ids.length)
    await tx.all(`SELECT id FROM ${table} WHERE id IN (${marks(ids.length)}) ORDER BY id FOR UPDATE`, ids);
}

/** Transaction-scoped advisory locks per (affiliate, program), in a fixed order. */
export async function lockPairs(
  tx: SqlExecutor,
  keys: ReadonlyArray<{ affiliateId: number; programId: number }>,
): Promise<void> {
  const pairs = [...new Set(keys.map((k) => `${k.affiliateId}:${k.programId}`))].sort();
  for (const pair of pairs) {
    const [affiliateId, programId] = pair.split(":").map(Number);
    await tx.all("SELECT pg_advisory_xact_lock(?::int, ?::int)", [affiliateId!, programId!]);
  }
}
