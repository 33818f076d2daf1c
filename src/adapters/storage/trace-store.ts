/** Step traces over SQL (both engines): the `TraceStore` port and the ingest batch's insert. */
import type { TraceRow, TraceStore } from "../../app/ingest/trace-port.ts";
import type { TraceMode } from "../../domain/postback-trace.ts";
import type { SqlExecutor } from "./sql-driver.ts";

const TRACE_COLUMNS = ["request_log_id", "operator_id", "received_at", "mode", "trace"] as const;

export async function insertTraces(db: SqlExecutor, rows: readonly TraceRow[]): Promise<void> {
  if (!rows.length) return;
  await db.insertMany(
    "postback_traces",
    TRACE_COLUMNS,
    rows.map((r) => [r.requestLogId, r.operatorId, r.receivedAt, r.mode, r.trace]),
  );
}

export function createTraceStore(db: SqlExecutor): TraceStore {
  return {
    insert: (rows) => insertTraces(db, rows),
    async get(requestLogId) {
      const [row] = await db.all(
        "SELECT request_log_id, operator_id, received_at, mode, trace FROM postback_traces WHERE request_log_id = ?",
        [requestLogId],
      );
      if (!row) return undefined;
      return {
        requestLogId: String(row["request_log_id"]),
        operatorId: row["operator_id"] === null ? null : Number(row["operator_id"]),
        receivedAt: Number(row["received_at"]),
        mode: String(row["mode"]) as TraceMode,
        trace: String(row["trace"]),
      };
    },
  };
}
