/**
 * The reads and writes of one ingest batch (`IngestTx`) over a SQL transaction. Several batches may
 * run at once on PostgreSQL (a pool, or several processes), so two rules keep them apart:
 * - rows are inserted in key order, so two batches never wait on each other's keys in a cycle
 *   (no deadlock between batches that share txids);
 * - the originals a batch reverses are locked before their reversed totals are read, so two
 *   concurrent refunds of one event cannot both take what remains.
 * On SQLite a transaction already holds the single write lock, so no row lock is needed.
 */
import type { IngestTx, OperatorKey, PlayerKey } from "../../app/ingest/ingest-port.ts";
import type { ConversionRow, PlayerRow, RequestLogRow } from "../../app/records.ts";
import type { HeldWrites } from "./held-writes.ts";
import { chunks, padded } from "./key-batches.ts";
import { ledgerTx } from "./ledger-tx.ts";
import { outboxTx } from "./outbox-tx.ts";
import {
  CONVERSION_COLUMNS,
  clickFromRow,
  conversionFromRow,
  conversionValues,
  PLAYER_COLUMNS,
  playerFromRow,
  playerValues,
  REQUEST_LOG_COLUMNS,
  requestLogValues,
} from "./record-rows.ts";
import { activityRollupPart, postbackRollupPart } from "./rollup-writes.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import { type InsertPart, marks, type SqlExecutor } from "./sql-driver.ts";
import { insertSignatureEvidence, insertTraces } from "./trace-store.ts";

const byKey = <T>(key: (row: T) => string) => {
  return (a: T, b: T): number => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
};

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

/**
 * With `held` (PostgreSQL), the ledger write waits to go with the outbox insert (held-writes.ts):
 * every statement here goes through `held.executor` and so sees it, but the outbox's reads of
 * clicks, endpoints and originals, which cannot depend on it, go straight to `db`. The caller
 * flushes `held` before COMMIT.
 */
export function ingestTx(tx: SqlExecutor, dialect: SqlDialect, held?: HeldWrites, slot = 0): IngestTx {
  const db = held ? held.executor : tx;
  const conversionPairs = (keys: readonly OperatorKey[]) => keys.map((k) => [k.operatorId, k.txid] as const);
  const playerPairs = (keys: readonly PlayerKey[]) => keys.map((k) => [k.operatorId, k.playerId] as const);
  const findPlayers = async (keys: readonly PlayerKey[]) =>
    (await dialect.findByPairs(db, "players", ["operator_id", "player_id"], playerPairs(keys))).map(
      playerFromRow,
    );
  return {
    ledger: ledgerTx(db, dialect, held),
    outbox: outboxTx(tx, db),
    findPlayers,
    async findKnown({ conversions, players, clicks = [] }) {
      const found = await dialect.findKnown(db, conversionPairs(conversions), playerPairs(players), clicks);
      return {
        conversions: found.conversions.map(conversionFromRow),
        players: found.players.map(playerFromRow),
        ...(found.clicks && { clicks: found.clicks.map(clickFromRow) }),
      };
    },
    async reversedTotals(ids) {
      const sorted = [...new Set(ids)].sort();
      const totals = new Map<string, number>();
      for (const part of chunks(sorted).map(padded)) {
        // Held until commit: a concurrent reversal of the same original waits and then sees ours.
        await dialect.lockIds(db, "conversions", part);
        const rows = await db.all(
          // Only reversals as live (or as test) as their original count: a test refund of a live
          // event reverses nothing a live refund could later need (test-mode isolation).
          `SELECT r.reverses_id, SUM(r.amount_minor) AS total FROM conversions r JOIN conversions o ON o.id = r.reverses_id WHERE r.reverses_id IN (${marks(part.length)}) AND r.test = o.test GROUP BY r.reverses_id`,
          part,
        );
        for (const row of rows) totals.set(String(row["reverses_id"]), Number(row["total"] ?? 0));
      }
      return totals;
    },
    insertTraces: (rows) => insertTraces(db, rows),
    insertSignatureEvidence: (rows) => insertSignatureEvidence(db, rows),
    async insertRecords({ conversions, players, logs }) {
      // The rollups in the same statement, in this transaction's slot (rollup-writes.ts).
      const [ids] = await db.insertAll([
        conversionsPart(conversions),
        playersPart(players),
        logsPart(logs),
        postbackRollupPart(logs, slot),
        activityRollupPart(conversions),
      ]);
      return new Set(ids!.map(String));
    },
  };
}
