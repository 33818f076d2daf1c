/**
 * The reads and writes of one ingest batch (`IngestTx`) over a SQL transaction. Several batches may
 * run at once on PostgreSQL (a pool, or several processes), so two rules keep them apart:
 * - rows are inserted in key order, so two batches never wait on each other's keys in a cycle
 *   (no deadlock between batches that share txids);
 * - the originals a batch reverses are locked before their reversed totals are read, so two
 *   concurrent refunds of one event cannot both take what remains.
 * On SQLite a transaction already holds the single write lock, so no row lock is needed.
 */
import type { IngestTx, OperatorKey, PlayerKey } from "../../app/ports.ts";
import type { ConversionRow, PlayerRow, RequestLogRow } from "../../app/records.ts";
import { ledgerTx } from "./ledger-tx.ts";
import { outboxTx } from "./outbox-tx.ts";
import {
  CONVERSION_COLUMNS,
  conversionFromRow,
  conversionValues,
  PLAYER_COLUMNS,
  playerFromRow,
  playerValues,
  REQUEST_LOG_COLUMNS,
  requestLogValues,
} from "./record-rows.ts";
import { type InsertPart, marks, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-driver.ts";

const KEY_CHUNK = 512;
/** Key lists are padded to a multiple of this: one statement text per bucket, not per batch size. */
const KEY_BUCKET = 8;

/**
 * `items` with its last item repeated up to the next multiple of KEY_BUCKET. The look-ups' SQL
 * depends on the number of keys; unpadded, every batch size prepares (and caches) a statement of
 * its own, and a long-running service with BATCH_MAX 512 would go through about a thousand of them
 * for the two tables. Repeated keys match the same rows once (OR and IN do not duplicate rows).
 */
function padded<T>(items: readonly T[]): T[] {
  const out = [...items];
  const last = items[items.length - 1];
  if (last === undefined) return out;
  while (out.length % KEY_BUCKET !== 0) out.push(last);
  return out;
}

const byKey = <T>(key: (row: T) => string) => {
  return (a: T, b: T): number => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
};

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += KEY_CHUNK)
    out.push(items.slice(start, start + KEY_CHUNK));
  return out;
}

type Pair = readonly [number, string];

/** The pairs without repeats, in first-seen order. */
const distinct = (keys: readonly Pair[]): Pair[] => [
  ...new Map(keys.map((k) => [`${k[0]}\u0000${k[1]}`, k])).values(),
];

/**
 * Rows matching a batch of composite keys (duplicates dropped). PostgreSQL joins one fixed
 * statement against unnest()ed key arrays; SQLite uses `(a = ? AND b = ?) OR …` in chunks.
 */
async function findByPairs(
  db: SqlExecutor,
  engine: "sqlite" | "postgres",
  table: string,
  columns: readonly [string, string],
  keys: readonly Pair[],
): Promise<SqlRow[]> {
  if (keys.length === 0) return [];
  if (engine === "postgres") {
    const arrays = pairArrays(keys) as unknown as SqlValue[];
    return db.all(
      `SELECT t.* FROM ${table} t JOIN unnest(?::int8[], ?::text[]) AS k(a, b) ON t.${columns[0]} = k.a AND t.${columns[1]} = k.b`,
      arrays,
    );
  }
  const rows: SqlRow[] = [];
  for (const part of chunks(distinct(keys)).map(padded)) {
    const where = part.map(() => `(${columns[0]} = ? AND ${columns[1]} = ?)`).join(" OR ");
    rows.push(...(await db.all(`SELECT * FROM ${table} WHERE ${where}`, part.flat())));
  }
  return rows;
}

/** Distinct [operator id, key] pairs as the two arrays unnest() takes. */
function pairArrays(keys: readonly Pair[]): [number[], string[]] {
  const unique = distinct(keys);
  return [unique.map((k) => k[0]), unique.map((k) => k[1])];
}

/**
 * PostgreSQL: a batch's conversions and players in one round trip. The two tables' rows differ in
 * shape, so each comes back as one jsonb value (BIGINT as a JSON number, exact below 2^53 like
 * the amounts everywhere else) and is read by the same row mappers as a plain SELECT.
 */
const KNOWN_SQL = `SELECT 'c' AS kind, to_jsonb(t) AS row FROM conversions t
  JOIN unnest($1::int8[], $2::text[]) AS k(a, b) ON t.operator_id = k.a AND t.txid = k.b
UNION ALL
SELECT 'p', to_jsonb(t) FROM players t
  JOIN unnest($3::int8[], $4::text[]) AS k(a, b) ON t.operator_id = k.a AND t.player_id = k.b`;

/** Rows in key order, so concurrent batches take their unique-key locks in one order (no deadlock). */
const conversionOrder = byKey((r: ConversionRow) => `${r.operatorId}\u0000${r.txid}`);
const playerOrder = byKey((r: PlayerRow) => `${r.operatorId}\u0000${r.playerId}`);

const conversionsPart = (rows: readonly ConversionRow[]): InsertPart => ({
  table: "conversions",
  columns: CONVERSION_COLUMNS,
  rows: [...rows].sort(conversionOrder).map(conversionValues),
  ignoreConflicts: "operator_id, txid",
  returning: "id",
});
const playersPart = (rows: readonly PlayerRow[]): InsertPart => ({
  table: "players",
  columns: PLAYER_COLUMNS,
  rows: [...rows].sort(playerOrder).map(playerValues),
  ignoreConflicts: "operator_id, player_id",
});
const logsPart = (rows: readonly RequestLogRow[]): InsertPart => ({
  table: "request_log",
  columns: REQUEST_LOG_COLUMNS,
  rows: rows.map(requestLogValues),
});

export function ingestTx(db: SqlExecutor, engine: "sqlite" | "postgres"): IngestTx {
  const conversionPairs = (keys: readonly OperatorKey[]) => keys.map((k) => [k.operatorId, k.txid] as const);
  const playerPairs = (keys: readonly PlayerKey[]) => keys.map((k) => [k.operatorId, k.playerId] as const);
  const findConversions = async (keys: readonly OperatorKey[]) =>
    (await findByPairs(db, engine, "conversions", ["operator_id", "txid"], conversionPairs(keys))).map(
      conversionFromRow,
    );
  const findPlayers = async (keys: readonly PlayerKey[]) =>
    (await findByPairs(db, engine, "players", ["operator_id", "player_id"], playerPairs(keys))).map(
      playerFromRow,
    );
  return {
    ledger: ledgerTx(db, engine),
    outbox: outboxTx(db, engine),
    findPlayers,
    async findKnown({ conversions, players }) {
      // Either list empty: only the other table needs a look-up.
      if (engine === "sqlite" || conversions.length === 0 || players.length === 0) {
        return { conversions: await findConversions(conversions), players: await findPlayers(players) };
      }
      const params = [...pairArrays(conversionPairs(conversions)), ...pairArrays(playerPairs(players))];
      const found: { conversions: ConversionRow[]; players: PlayerRow[] } = { conversions: [], players: [] };
      for (const { kind, row } of await db.all(KNOWN_SQL, params as unknown as SqlValue[])) {
        const value = row as unknown as SqlRow;
        if (kind === "c") found.conversions.push(conversionFromRow(value));
        else found.players.push(playerFromRow(value));
      }
      return found;
    },
    async reversedTotals(ids) {
      const sorted = [...new Set(ids)].sort();
      const totals = new Map<string, number>();
      for (const part of chunks(sorted).map(padded)) {
        if (engine === "postgres") {
          // Held until commit: a concurrent reversal of the same original waits and then sees ours.
          await db.all(
            `SELECT id FROM conversions WHERE id IN (${marks(part.length)}) ORDER BY id FOR UPDATE`,
            part,
          );
        }
        const rows = await db.all(
          `SELECT reverses_id, SUM(amount_minor) AS total FROM conversions WHERE reverses_id IN (${marks(part.length)}) GROUP BY reverses_id`,
          part,
        );
        for (const row of rows) totals.set(String(row["reverses_id"]), Number(row["total"] ?? 0));
      }
      return totals;
    },
    async insertRecords({ conversions, players, logs }) {
      const [ids] = await db.insertAll([conversionsPart(conversions), playersPart(players), logsPart(logs)]);
      return new Set(ids!.map(String));
    },
  };
}
