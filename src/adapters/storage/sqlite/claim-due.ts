/** SQLite's claim reads (sql-dialect.ts: dueRows, claimable). */
import type { ClaimRequest } from "../../../app/delivery/delivery-store-port.ts";
import { FREE } from "../claim-free.ts";
import type { Room } from "../sql-dialect.ts";
import { marks, type SqlExecutor, type SqlRow } from "../sql-driver.ts";

/** An endpoint's oldest free due rows, through the due index (endpoint_id, run_at, id). */
const ENDPOINT_DUE = `SELECT id, endpoint_id FROM deliveries WHERE endpoint_id = ? AND ${FREE}
  ORDER BY run_at, id LIMIT ?`;

/** One endpoint per statement: in process, a statement costs no round trip. */
export async function dueRows(
  tx: SqlExecutor,
  rooms: readonly Room[],
  request: ClaimRequest,
): Promise<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (const [id, room] of rooms) {
    const left = request.limit - rows.length;
    if (left <= 0) break;
    rows.push(...(await tx.all(ENDPOINT_DUE, [id, request.now, request.staleBefore, Math.min(room, left)])));
  }
  return rows;
}

/** The picked rows still free: the transaction holds SQLite's write lock, nobody takes them meanwhile. */
export const claimable = (count: number): string => `id IN (${marks(count)}) AND ${FREE}`;
