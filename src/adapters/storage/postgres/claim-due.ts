/** PostgreSQL's claim reads (sql-dialect.ts: dueRows, claimable). */
import type { ClaimRequest } from "../../../app/delivery/delivery-store-port.ts";
import { FREE } from "../claim-free.ts";
import type { Room } from "../sql-dialect.ts";
import { marks, type SqlExecutor, type SqlRow, type SqlValue } from "../sql-driver.ts";

/** Every endpoint's oldest free due rows in one round trip, through the due index per endpoint. */
const ENDPOINTS_DUE = `SELECT d.id, d.endpoint_id FROM unnest(?::int8[], ?::int8[]) WITH ORDINALITY AS e(id, room, n)
  CROSS JOIN LATERAL (SELECT id, endpoint_id, run_at FROM deliveries WHERE endpoint_id = e.id AND ${FREE}
    ORDER BY run_at, id LIMIT e.room) d
  ORDER BY e.n, d.run_at, d.id`;

export function dueRows(tx: SqlExecutor, rooms: readonly Room[], request: ClaimRequest): Promise<SqlRow[]> {
  const ids = rooms.map(([id]) => id);
  const room = rooms.map(([, n]) => Math.min(n, request.limit));
  // Arrays are bound as they are (pg turns them into PostgreSQL arrays).
  return tx.all(ENDPOINTS_DUE, [
    ids as unknown as SqlValue,
    room as unknown as SqlValue,
    request.now,
    request.staleBefore,
  ]);
}

/** The picked rows still free, skipping those another worker has locked meanwhile (SKIP LOCKED). */
export const claimable = (count: number): string =>
  `id IN (SELECT id FROM deliveries WHERE id IN (${marks(count)}) AND ${FREE} FOR UPDATE SKIP LOCKED)`;
