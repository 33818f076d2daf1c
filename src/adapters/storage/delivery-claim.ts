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
import type { Room, SqlDialect } from "./sql-dialect.ts";
import { marks, type SqlExecutor } from "./sql-driver.ts";

export const ACTIVE_ENDPOINT =
  "EXISTS (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.status = 'active')";

interface Candidate {
  readonly id: string;
  readonly endpointId: number;
}

/**
 * The endpoints to claim for, with their room: the active ones among those asked for (all active
 * ones when none are named), not busy, in id order from just after `rotateAfter` round to the
 * start, so a claim that runs out of `limit` leaves different endpoints for the next one.
 */
async function roomsOf(tx: SqlExecutor, request: ClaimRequest): Promise<Room[]> {
  const asked = request.endpoints ? new Set(request.endpoints) : undefined;
  const busy = new Set(request.busyEndpoints);
  const active = (await tx.all("SELECT id FROM endpoints WHERE status = 'active' ORDER BY id"))
    .map((r) => Number(r["id"]))
    .filter((id) => (!asked || asked.has(id)) && !busy.has(id));
  const from = request.rotateAfter === undefined ? 0 : active.findIndex((id) => id > request.rotateAfter!);
  const ordered = from <= 0 ? active : [...active.slice(from), ...active.slice(0, from)];
  const rooms: Room[] = [];
  for (const id of ordered) {
    const cap = request.caps?.get(id) ?? request.perEndpoint;
    const room = cap - (request.inFlight?.get(id) ?? 0);
    if (room > 0) rooms.push([id, room]);
  }
  return rooms;
}

/** Due rows to take: each endpoint's oldest, up to its room, up to `limit` in all. */
async function pick(tx: SqlExecutor, dialect: SqlDialect, request: ClaimRequest): Promise<Candidate[]> {
  const rooms = await roomsOf(tx, request);
  if (!rooms.length) return [];
  const rows = await dialect.dueRows(tx, rooms, request);
  return rows
    .slice(0, request.limit)
    .map((row) => ({ id: String(row["id"]), endpointId: Number(row["endpoint_id"]) }));
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
  dialect: SqlDialect,
  request: ClaimRequest,
): Promise<ClaimedDelivery[]> {
  if (request.limit <= 0) return [];
  const picked = await pick(tx, dialect, request);
  if (!picked.length) return [];
  const locked = await tx.all(
    `UPDATE deliveries SET locked_at = ?, locked_by = ?, attempts = attempts + 1, updated_at = ?
     WHERE ${dialect.claimable(picked.length)} RETURNING ${CLAIMED_COLUMNS}`,
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
