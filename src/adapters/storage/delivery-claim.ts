/**
 * The dispatcher's claims over SQL, for both engines. Claims follow graphile/worker: due rows are
 * locked by a worker (locked_at/locked_by) and their attempts counted in one statement; on
 * PostgreSQL FOR UPDATE SKIP LOCKED, so several processes share the outbox and never take the same
 * row twice. The claimed rows' endpoints are read in the same transaction (one query per claim,
 * not one per delivery). Runs inside a transaction the caller opens, so a batch of outcomes
 * (delivery-finish.ts) and the next claim can share one commit (one fsync on SQLite).
 *
 * Rows are read per endpoint, through the due index (endpoint_id, run_at, id) of pending rows: each
 * endpoint with room gives its oldest due rows, up to its room. A claim thus reads only rows it may
 * take: an endpoint at its cap, however long its backlog, costs nothing (a scan in global due order
 * would read past all of it), and every endpoint's rows stay in their due order.
 */
import type {
  ClaimedDelivery,
  ClaimedEndpoint,
  ClaimRequest,
} from "../../app/delivery/delivery-store-port.ts";
import {
  CLAIMED_COLUMNS,
  CLAIMED_ENDPOINT_COLUMNS,
  claimedEndpointFromRow,
  claimedFromRow,
} from "./delivery-rows.ts";
import { marks, type SqlExecutor, type SqlValue } from "./sql-driver.ts";

export const ACTIVE_ENDPOINT =
  "EXISTS (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.status = 'active')";

const FREE = "state = 'pending' AND run_at <= ? AND (locked_at IS NULL OR locked_at < ?)";

/** An endpoint's oldest free due rows (SQLite: one endpoint per statement, in process). */
const ENDPOINT_DUE = `SELECT id, endpoint_id FROM deliveries WHERE endpoint_id = ? AND ${FREE}
  ORDER BY run_at, id LIMIT ?`;

/** The same for every endpoint of the claim in one round trip (PostgreSQL). */
const ENDPOINTS_DUE = `SELECT d.id, d.endpoint_id FROM unnest(?::int8[], ?::int8[]) WITH ORDINALITY AS e(id, room, n)
  CROSS JOIN LATERAL (SELECT id, endpoint_id, run_at FROM deliveries WHERE endpoint_id = e.id AND ${FREE}
    ORDER BY run_at, id LIMIT e.room) d
  ORDER BY e.n, d.run_at, d.id`;

interface Candidate {
  readonly id: string;
  readonly endpointId: number;
}

/**
 * The endpoints to claim for, with their room: the active ones among those asked for (all active
 * ones when none are named), not busy, in id order from just after `rotateAfter` round to the
 * start, so a claim that runs out of `limit` leaves different endpoints for the next one.
 */
async function roomsOf(tx: SqlExecutor, request: ClaimRequest): Promise<Array<[number, number]>> {
  const asked = request.endpoints ? new Set(request.endpoints) : undefined;
  const busy = new Set(request.busyEndpoints);
  const active = (await tx.all("SELECT id FROM endpoints WHERE status = 'active' ORDER BY id"))
    .map((r) => Number(r["id"]))
    .filter((id) => (!asked || asked.has(id)) && !busy.has(id));
  const from = request.rotateAfter === undefined ? 0 : active.findIndex((id) => id > request.rotateAfter!);
  const ordered = from <= 0 ? active : [...active.slice(from), ...active.slice(0, from)];
  const rooms: Array<[number, number]> = [];
  for (const id of ordered) {
    const cap = request.caps?.get(id) ?? request.perEndpoint;
    const room = cap - (request.inFlight?.get(id) ?? 0);
    if (room > 0) rooms.push([id, room]);
  }
  return rooms;
}

/** Due rows to take: each endpoint's oldest, up to its room, up to `limit` in all. */
async function pick(
  tx: SqlExecutor,
  engine: "sqlite" | "postgres",
  request: ClaimRequest,
): Promise<Candidate[]> {
  const rooms = await roomsOf(tx, request);
  if (!rooms.length) return [];
  const picked: Candidate[] = [];
  const take = (rows: ReadonlyArray<Record<string, SqlValue>>) => {
    for (const row of rows) {
      if (picked.length >= request.limit) return;
      picked.push({ id: String(row["id"]), endpointId: Number(row["endpoint_id"]) });
    }
  };
  if (engine === "postgres") {
    const ids = rooms.map(([id]) => id);
    const room = rooms.map(([, n]) => Math.min(n, request.limit));
    take(
      await tx.all(ENDPOINTS_DUE, [
        ids as unknown as SqlValue,
        room as unknown as SqlValue,
        request.now,
        request.staleBefore,
      ]),
    );
    return picked;
  }
  for (const [id, room] of rooms) {
    const left = request.limit - picked.length;
    if (left <= 0) break;
    take(await tx.all(ENDPOINT_DUE, [id, request.now, request.staleBefore, Math.min(room, left)]));
  }
  return picked;
}

/** The claimed rows' endpoints, by id. */
async function endpointsOf(tx: SqlExecutor, ids: readonly number[]): Promise<Map<number, ClaimedEndpoint>> {
  const rows = await tx.all(
    `SELECT ${CLAIMED_ENDPOINT_COLUMNS} FROM endpoints WHERE id IN (${marks(ids.length)})`,
    ids,
  );
  return new Map(rows.map((row) => [Number(row["id"]), claimedEndpointFromRow(row)]));
}

const gone = (id: number): ClaimedEndpoint => ({
  id,
  urlTemplate: "",
  method: "GET",
  secret: "",
  previousSecret: null,
  previousSecretExpiresAt: null,
  status: "disabled",
  consecutiveFailures: 0,
});

/** Locks due rows for this worker and counts their attempt; returns them in (run_at, id) order. */
export async function claimIn(
  tx: SqlExecutor,
  engine: "sqlite" | "postgres",
  request: ClaimRequest,
): Promise<ClaimedDelivery[]> {
  if (request.limit <= 0) return [];
  const picked = await pick(tx, engine, request);
  if (!picked.length) return [];
  // SQLite holds the write lock for the whole transaction; PostgreSQL skips rows another worker has.
  const rows =
    engine === "postgres"
      ? `id IN (SELECT id FROM deliveries WHERE id IN (${marks(picked.length)}) AND ${FREE} FOR UPDATE SKIP LOCKED)`
      : `id IN (${marks(picked.length)}) AND ${FREE}`;
  const locked = await tx.all(
    `UPDATE deliveries SET locked_at = ?, locked_by = ?, attempts = attempts + 1, updated_at = ?
     WHERE ${rows} RETURNING ${CLAIMED_COLUMNS}`,
    [
      request.now,
      request.workerId,
      request.now,
      ...picked.map((c) => c.id),
      request.now,
      request.staleBefore,
    ],
  );
  if (!locked.length) return [];
  const endpoints = await endpointsOf(tx, [...new Set(picked.map((c) => c.endpointId))]);
  const byId = new Map(locked.map((row) => [String(row["id"]), row]));
  const claimed: ClaimedDelivery[] = [];
  for (const { id, endpointId } of picked) {
    const row = byId.get(id);
    // An endpoint that vanished since the candidates were read: the dispatcher releases the row.
    if (row) claimed.push(claimedFromRow(row, endpoints.get(endpointId) ?? gone(endpointId)));
  }
  return claimed;
}
