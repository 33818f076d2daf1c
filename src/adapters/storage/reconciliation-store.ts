/** Reconciliation runs over SQL (both engines): the `ReconciliationStore` port. */
import {
  type Backfill,
  type BackfillRow,
  type BackfillStatus,
  type CategoryCounts,
  type DaySummary,
  type ReconciliationRun,
  type ReconciliationStore,
  type ResultRow,
  RunEndedError,
  type RunResult,
  type RunStatus,
} from "../../app/reconcile/reconciliation-port.ts";
import type { Difference, ReceivedEvent, ReconciliationCategory } from "../../domain/reconciliation.ts";
import { storableOrNull } from "../../domain/storable-text.ts";
import { chunks, padded } from "./key-batches.ts";
import {
  marks,
  num,
  type SqlDriver,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  str,
} from "./sql-driver.ts";

/** Rows per insert statement (12 columns: under SQLite's 32766 parameters and PostgreSQL's 65535). */
const INSERT_CHUNK = 2500;

const ROW_COLUMNS = [
  "reconciliation_id",
  "seq",
  "category",
  "line",
  "txid",
  "event",
  "occurred_at",
  "fields",
  "differences",
  "error",
  "conversion_id",
  "backfill_code",
] as const;

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

const rowValues = (runId: string, r: ResultRow): SqlValue[] => [
  runId,
  r.seq,
  r.category,
  r.line,
  r.txid,
  r.event,
  r.occurredAt,
  json(r.fields),
  json(r.differences),
  // A CSV parser's message may quote the file's text: kept in a form both engines store.
  storableOrNull(r.error),
  r.conversionId,
  r.backfillCode,
];

const parsed = <T>(value: SqlValue | undefined): T | null =>
  value === null || value === undefined ? null : (JSON.parse(String(value)) as T);

const rowFromSql = (r: SqlRow): ResultRow => ({
  seq: Number(r["seq"]),
  category: String(r["category"]) as ReconciliationCategory,
  line: num(r["line"]),
  txid: str(r["txid"]),
  event: str(r["event"]),
  occurredAt: num(r["occurred_at"]),
  fields: parsed<Array<[string, string]>>(r["fields"]),
  differences: parsed<Difference[]>(r["differences"]),
  error: str(r["error"]),
  conversionId: str(r["conversion_id"]),
  backfillCode: str(r["backfill_code"]),
});

const runFromSql = (r: SqlRow): ReconciliationRun => ({
  id: String(r["id"]),
  operatorId: Number(r["operator_id"]),
  from: Number(r["from_at"]),
  to: Number(r["to_at"]),
  format: String(r["format"]) as ReconciliationRun["format"],
  fileSha256: String(r["file_sha256"]),
  fileBytes: Number(r["file_bytes"]),
  status: String(r["status"]) as RunStatus,
  error: str(r["error"]),
  counts: JSON.parse(String(r["counts"])) as CategoryCounts,
  summary: JSON.parse(String(r["summary"])) as DaySummary[],
  createdByKeyId: num(r["created_by_key_id"]),
  createdAt: Number(r["created_at"]),
  finishedAt: num(r["finished_at"]),
});

const backfillFromSql = (r: SqlRow): Backfill => ({
  id: String(r["id"]),
  reconciliationId: String(r["reconciliation_id"]),
  txids: parsed<string[]>(r["txids"]),
  status: String(r["status"]) as BackfillStatus,
  attempted: Number(r["attempted"]),
  alreadyDone: Number(r["already_done"]),
  outcomes: JSON.parse(String(r["outcomes"])) as Record<string, number>,
  createdByKeyId: num(r["created_by_key_id"]),
  createdAt: Number(r["created_at"]),
  finishedAt: num(r["finished_at"]),
});

const backfillRowFromSql = (r: SqlRow): BackfillRow => ({
  seq: Number(r["seq"]),
  txid: str(r["txid"]),
  code: String(r["code"]),
  conversionId: str(r["conversion_id"]),
});

async function setResult(db: SqlExecutor, id: string, r: RunResult): Promise<void> {
  await db.run(
    `UPDATE reconciliations SET status = ?, error = ?, counts = ?, summary = ?, file_sha256 = ?,
      file_bytes = ?, finished_at = ? WHERE id = ?`,
    [
      r.status,
      r.error,
      JSON.stringify(r.counts),
      JSON.stringify(r.summary),
      r.fileSha256,
      r.fileBytes,
      r.finishedAt,
      id,
    ],
  );
}

export function createReconciliationStore(db: SqlDriver): ReconciliationStore {
  return {
    async create(run) {
      await db.run(
        `INSERT INTO reconciliations (id, operator_id, from_at, to_at, format, file_sha256, file_bytes,
          status, error, counts, summary, created_by_key_id, created_at, finished_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          run.id,
          run.operatorId,
          run.from,
          run.to,
          run.format,
          run.fileSha256,
          run.fileBytes,
          run.status,
          run.error,
          JSON.stringify(run.counts),
          JSON.stringify(run.summary),
          run.createdByKeyId,
          run.createdAt,
          run.finishedAt,
        ],
      );
    },
    finish: (id, r) => setResult(db, id, r),
    async abandon(id, r) {
      // PostgreSQL: the UPDATE waits for a chunk in flight (insertRows holds the run's row FOR SHARE
      // until its COMMIT, even one of a comparison worker terminated after its stop grace); the
      // DELETE, a statement later, sees that chunk's rows. A chunk after it finds the run ended.
      await db.transaction(async (tx) => {
        await setResult(tx, id, r);
        await tx.run("DELETE FROM reconciliation_rows WHERE reconciliation_id = ?", [id]);
      });
    },
    async get(id) {
      const [row] = await db.all("SELECT * FROM reconciliations WHERE id = ?", [id]);
      return row ? runFromSql(row) : undefined;
    },
    async list(filter) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (filter.operatorId !== undefined) {
        where.push("operator_id = ?");
        params.push(filter.operatorId);
      }
      if (filter.before) {
        where.push("(created_at < ? OR (created_at = ? AND id < ?))");
        params.push(filter.before.at, filter.before.at, filter.before.id);
      }
      const sql = `SELECT * FROM reconciliations ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY created_at DESC, id DESC LIMIT ?`;
      return (await db.all(sql, [...params, filter.limit])).map(runFromSql);
    },
    async received(operatorId, txids) {
      const out: ReceivedEvent[] = [];
      // Each txid through the (operator_id, txid) unique key; the reversed event through its id.
      for (const part of chunks(txids).map(padded)) {
        const rows = await db.all(
          `SELECT c.id, c.txid, c.event, c.amount_minor, c.currency, c.player_id, c.click_id, c.test,
            r.txid AS reverses_txid
            FROM conversions c LEFT JOIN conversions r ON r.id = c.reverses_id
            WHERE c.operator_id = ? AND c.txid IN (${marks(part.length)})`,
          [operatorId, ...part],
        );
        for (const r of rows)
          out.push({
            conversionId: String(r["id"]),
            txid: String(r["txid"]),
            event: String(r["event"]),
            amountMinor: num(r["amount_minor"]),
            currency: str(r["currency"]),
            playerId: str(r["player_id"]),
            clickId: str(r["click_id"]),
            reversesTxid: str(r["reverses_txid"]),
            test: Number(r["test"]) === 1,
          });
      }
      return out;
    },
    async seen(runId, txids) {
      const found = new Set<string>();
      for (const part of chunks(txids).map(padded)) {
        const rows = await db.all(
          // A malformed row's txid repeats nothing: the row that validates is the one compared.
          `SELECT txid FROM reconciliation_rows WHERE reconciliation_id = ? AND txid IN (${marks(part.length)}) AND category <> 'malformed'`,
          [runId, ...part],
        );
        for (const r of rows) found.add(String(r["txid"]));
      }
      return found;
    },
    async insertRows(runId, rows) {
      // Not waiting for the disk: a run cut short by a crash stays "running" and is uploaded again;
      // the run's final update (finish) is durable, and syncs these with it.
      await db.transaction(
        async (tx) => {
          // Only while the run is running, and it stays so until this COMMIT (abandon).
          const lock = db.engine === "postgres" ? " FOR SHARE" : "";
          const running = await tx.all(
            `SELECT 1 AS running FROM reconciliations WHERE id = ? AND status = 'running'${lock}`,
            [runId],
          );
          if (running.length === 0) throw new RunEndedError(runId);
          for (let start = 0; start < rows.length; start += INSERT_CHUNK)
            await tx.insertMany(
              "reconciliation_rows",
              ROW_COLUMNS,
              rows.slice(start, start + INSERT_CHUNK).map((r) => rowValues(runId, r)),
            );
        },
        { durable: false },
      );
    },
    async extras(run, after, limit) {
      // A range of conversions_operator_occurred in its own order (no sort; the row value is its
      // lower bound, on both engines), each probed in the run's rows (reconciliation_rows_txid).
      // Every id is non-empty: (from, '') starts at the period's first conversion.
      const start = after ?? { at: run.from, id: "" };
      const rows = await db.all(
        `SELECT c.id, c.txid, c.event, c.occurred_at FROM conversions c
          WHERE c.operator_id = ? AND (c.occurred_at, c.id) > (?, ?) AND c.occurred_at < ? AND c.test = 0
            AND NOT EXISTS (SELECT 1 FROM reconciliation_rows x WHERE x.reconciliation_id = ? AND x.txid = c.txid)
          ORDER BY c.occurred_at, c.id LIMIT ?`,
        [run.operatorId, start.at, start.id, run.to, run.id, limit],
      );
      return rows.map((r) => ({
        conversionId: String(r["id"]),
        txid: String(r["txid"]),
        event: String(r["event"]),
        occurredAt: Number(r["occurred_at"]),
      }));
    },
    async rows(runId, filter) {
      const where = ["reconciliation_id = ?", "seq > ?"];
      const params: SqlValue[] = [runId, filter.afterSeq ?? 0];
      if (filter.category) {
        where.push("category = ?");
        params.push(filter.category);
      }
      if (filter.txids) {
        if (!filter.txids.length) return [];
        where.push(`txid IN (${marks(filter.txids.length)})`);
        params.push(...filter.txids);
      }
      const rows = await db.all(
        `SELECT * FROM reconciliation_rows WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`,
        [...params, filter.limit],
      );
      return rows.map(rowFromSql);
    },
    async markBackfilled(runId, backfillId, outcomes) {
      await db.transaction(async (tx) => {
        for (const { seq, code, conversionId } of outcomes)
          await tx.run(
            "UPDATE reconciliation_rows SET backfill_code = ?, conversion_id = ? WHERE reconciliation_id = ? AND seq = ?",
            [code, conversionId, runId, seq],
          );
        if (outcomes.length)
          await tx.insertMany(
            "reconciliation_backfill_rows",
            ["backfill_id", "seq", "txid", "code", "conversion_id"],
            outcomes.map((o) => [backfillId, o.seq, o.txid, o.code, o.conversionId]),
          );
      });
    },
    async createBackfill(b) {
      await db.run(
        `INSERT INTO reconciliation_backfills (id, reconciliation_id, txids, status, attempted, already_done,
          outcomes, created_by_key_id, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          b.id,
          b.reconciliationId,
          json(b.txids),
          b.status,
          b.attempted,
          b.alreadyDone,
          JSON.stringify(b.outcomes),
          b.createdByKeyId,
          b.createdAt,
          b.finishedAt,
        ],
      );
    },
    async finishBackfill(id, r) {
      await db.run(
        `UPDATE reconciliation_backfills SET status = ?, attempted = ?, already_done = ?, outcomes = ?,
          finished_at = ? WHERE id = ?`,
        [r.status, r.attempted, r.alreadyDone, JSON.stringify(r.outcomes), r.finishedAt, id],
      );
    },
    async getBackfill(id) {
      const [row] = await db.all("SELECT * FROM reconciliation_backfills WHERE id = ?", [id]);
      return row ? backfillFromSql(row) : undefined;
    },
    async backfills(runId, limit) {
      const rows = await db.all(
        `SELECT * FROM reconciliation_backfills WHERE reconciliation_id = ?
          ORDER BY created_at DESC, id DESC LIMIT ?`,
        [runId, limit],
      );
      return rows.map(backfillFromSql);
    },
    async backfillRows(backfillId, filter) {
      const rows = await db.all(
        "SELECT * FROM reconciliation_backfill_rows WHERE backfill_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        [backfillId, filter.afterSeq ?? 0, filter.limit],
      );
      return rows.map(backfillRowFromSql);
    },
  };
}
