/** Step traces over SQL (both engines): the `TraceStore` port and the ingest batch's insert. */
import type { SignatureEvidenceRow, TraceRow, TraceStore } from "../../app/ingest/trace-port.ts";
import type { TraceMode } from "../../domain/postback-trace.ts";
import { requestLogFromRow } from "./record-rows.ts";
import type { SqlExecutor, SqlRow } from "./sql-driver.ts";

const TRACE_COLUMNS = ["request_log_id", "operator_id", "received_at", "mode", "trace"] as const;

export async function insertTraces(db: SqlExecutor, rows: readonly TraceRow[]): Promise<void> {
  if (!rows.length) return;
  await db.insertMany(
    "postback_traces",
    TRACE_COLUMNS,
    rows.map((r) => [r.requestLogId, r.operatorId, r.receivedAt, r.mode, r.trace]),
  );
}

const SELECT = "SELECT request_log_id, operator_id, received_at, mode, trace FROM postback_traces";

const traceFromRow = (row: SqlRow): TraceRow => ({
  requestLogId: String(row["request_log_id"]),
  operatorId: row["operator_id"] === null ? null : Number(row["operator_id"]),
  receivedAt: Number(row["received_at"]),
  mode: String(row["mode"]) as TraceMode,
  trace: String(row["trace"]),
});

export async function insertSignatureEvidence(
  db: SqlExecutor,
  rows: readonly SignatureEvidenceRow[],
): Promise<void> {
  if (!rows.length) return;
  await db.insertMany(
    "request_log_signatures",
    ["request_log_id", "operator_id", "received_at", "material"],
    rows.map((r) => [r.requestLogId, r.operatorId, r.receivedAt, r.material]),
  );
}

export function createTraceStore(db: SqlExecutor): TraceStore {
  return {
    insertSignatureEvidence: (rows) => insertSignatureEvidence(db, rows),
    async signatureEvidence(requestLogId) {
      const [row] = await db.all(
        "SELECT request_log_id, operator_id, received_at, material FROM request_log_signatures WHERE request_log_id = ?",
        [requestLogId],
      );
      if (!row) return undefined;
      return {
        requestLogId: String(row["request_log_id"]),
        operatorId: row["operator_id"] === null ? null : Number(row["operator_id"]),
        receivedAt: Number(row["received_at"]),
        material: String(row["material"]),
      };
    },
    insert: (rows) => insertTraces(db, rows),
    async requestLogEntry(id) {
      const [row] = await db.all("SELECT * FROM request_log WHERE id = ?", [id]);
      return row ? requestLogFromRow(row) : undefined;
    },
    async get(requestLogId) {
      const [row] = await db.all(`${SELECT} WHERE request_log_id = ?`, [requestLogId]);
      return row ? traceFromRow(row) : undefined;
    },
    async ofOperator(operatorId, since, limit) {
      const rows = await db.all(
        `${SELECT} WHERE operator_id = ? AND received_at >= ? ORDER BY received_at DESC LIMIT ?`,
        [operatorId, since, limit],
      );
      return rows.map(traceFromRow);
    },
    async checklistResetAt(programId) {
      const [row] = await db.all("SELECT reset_at FROM checklist_resets WHERE program_id = ?", [programId]);
      return row ? Number(row["reset_at"]) : undefined;
    },
    async resetChecklist(programId, at) {
      await db.run(
        "INSERT INTO checklist_resets (program_id, reset_at) VALUES (?, ?) ON CONFLICT (program_id) DO UPDATE SET reset_at = excluded.reset_at",
        [programId, at],
      );
    },
  };
}
