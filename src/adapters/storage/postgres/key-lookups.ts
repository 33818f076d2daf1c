/** PostgreSQL's key look-ups for the ingest (sql-dialect.ts: findByPairs, findKnown). */
import { distinct, type Pair } from "../key-batches.ts";
import type { SqlDialect } from "../sql-dialect.ts";
import type { SqlExecutor, SqlRow, SqlValue } from "../sql-driver.ts";

/** Distinct pairs as the two arrays unnest() takes. */
function pairArrays(keys: readonly Pair[]): [number[], string[]] {
  const unique = distinct(keys);
  return [unique.map((k) => k[0]), unique.map((k) => k[1])];
}

/** One fixed statement joined against unnest()ed key arrays, whatever the number of keys. */
export const findByPairs: SqlDialect["findByPairs"] = async (tx, table, [a, b], keys) =>
  keys.length === 0
    ? []
    : tx.all(
        `SELECT t.* FROM ${table} t JOIN unnest(?::int8[], ?::text[]) AS k(a, b) ON t.${a} = k.a AND t.${b} = k.b`,
        pairArrays(keys) as unknown as SqlValue[],
      );

/**
 * A batch's conversions and players in one round trip. The two tables' rows differ in shape, so
 * each comes back as one jsonb value (BIGINT as a JSON number, exact below 2^53 like the amounts
 * everywhere else) and is read by the same row mappers as a plain SELECT.
 */
const KNOWN_SQL = `SELECT 'c' AS kind, to_jsonb(t) AS row FROM conversions t
  JOIN unnest($1::int8[], $2::text[]) AS k(a, b) ON t.operator_id = k.a AND t.txid = k.b
UNION ALL
SELECT 'p', to_jsonb(t) FROM players t
  JOIN unnest($3::int8[], $4::text[]) AS k(a, b) ON t.operator_id = k.a AND t.player_id = k.b`;

/** The same, and the clicks an effect will read (the outbound macros), by primary key. */
const KNOWN_AND_CLICKS_SQL = `${KNOWN_SQL}
UNION ALL
SELECT 'k', to_jsonb(t) FROM clicks t WHERE t.click_id = ANY($5::text[])`;

export async function findKnown(
  tx: SqlExecutor,
  conversions: readonly Pair[],
  players: readonly Pair[],
  clicks: readonly string[],
): Promise<{ conversions: SqlRow[]; players: SqlRow[]; clicks?: SqlRow[] }> {
  if (clicks.length) {
    const params = [...pairArrays(conversions), ...pairArrays(players), [...new Set(clicks)]];
    const found = { conversions: [] as SqlRow[], players: [] as SqlRow[], clicks: [] as SqlRow[] };
    const into: Record<string, SqlRow[]> = { c: found.conversions, p: found.players, k: found.clicks };
    for (const { kind, row } of await tx.all(KNOWN_AND_CLICKS_SQL, params as unknown as SqlValue[]))
      into[String(kind)]!.push(row as unknown as SqlRow);
    return found;
  }
  // Either list empty: only the other table needs a look-up.
  if (conversions.length === 0 || players.length === 0)
    return {
      conversions: await findByPairs(tx, "conversions", ["operator_id", "txid"], conversions),
      players: await findByPairs(tx, "players", ["operator_id", "player_id"], players),
    };
  const params = [...pairArrays(conversions), ...pairArrays(players)] as unknown as SqlValue[];
  const found: { conversions: SqlRow[]; players: SqlRow[] } = { conversions: [], players: [] };
  for (const { kind, row } of await tx.all(KNOWN_SQL, params))
    (kind === "c" ? found.conversions : found.players).push(row as unknown as SqlRow);
  return found;
}
