/** SQLite's key look-ups for the ingest (sql-dialect.ts: findByPairs, findKnown). */
import { chunks, distinct, type Pair, padded } from "../key-batches.ts";
import type { SqlDialect } from "../sql-dialect.ts";
import type { SqlExecutor, SqlRow } from "../sql-driver.ts";

/** `(a = ? AND b = ?) OR …` in chunks of padded key lists (one statement text per bucket). */
export const findByPairs: SqlDialect["findByPairs"] = async (tx, table, [a, b], keys) => {
  const rows: SqlRow[] = [];
  for (const part of chunks(distinct(keys)).map(padded)) {
    const where = part.map(() => `(${a} = ? AND ${b} = ?)`).join(" OR ");
    rows.push(...(await tx.all(`SELECT * FROM ${table} WHERE ${where}`, part.flat())));
  }
  return rows;
};

/** The two tables one after the other: in process, two statements cost no extra round trip. */
export async function findKnown(
  tx: SqlExecutor,
  conversions: readonly Pair[],
  players: readonly Pair[],
): Promise<{ conversions: SqlRow[]; players: SqlRow[] }> {
  return {
    conversions: await findByPairs(tx, "conversions", ["operator_id", "txid"], conversions),
    players: await findByPairs(tx, "players", ["operator_id", "player_id"], players),
  };
}
