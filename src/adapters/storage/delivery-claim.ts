/**
 * The dispatcher's claims over SQL, for both engines. Claims follow graphile/worker: due rows are
 * locked by a worker (locked_at/locked_by) and their attempts counted in one statement; on
 * PostgreSQL FOR UPDATE SKIP LOCKED, so several processes share the outbox and never take the same
 * row twice. The claimed rows' endpoints are read in the same transaction (one query per claim,
 * not one per delivery). Runs inside a transaction the caller opens, so a batch of outcomes
 * (delivery-finish.ts) and the next claim can share one commit (one fsync on SQLite).
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
import { marks, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-driver.ts";

// EXISTS, not IN: SQLite then reads due rows in deliveries_due (run_at, id) order and stops at the
// LIMIT, instead of collecting every due row of the active endpoints and sorting them.
export const ACTIVE_ENDPOINT =
  "EXISTS (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.status = 'active')";

const FREE = "state = 'pending' AND run_at <= ? AND (locked_at IS NULL OR locked_at < ?)";

/** Rows read beyond `limit`, at most, to fill a claim whose first rows hit per-endpoint caps. */
const OVERREAD = 3;

interface Candidate {
  readonly id: string;
  readonly endpointId: number;
}

/** One page of free due rows in (run_at, id) order, after `from` when given. */
async function candidatePage(
  tx: SqlExecutor,
  request: ClaimRequest,
  from: SqlRow | undefined,
  size: number,
): Promise<SqlRow[]> {
  const busy = request.busyEndpoints.length
    ? ` AND endpoint_id NOT IN (${marks(request.busyEndpoints.length)})`
    : "";
  const after = from ? " AND (run_at, id) > (?, ?)" : "";
  const params: SqlValue[] = [request.now, request.staleBefore, ...request.busyEndpoints];
  if (from) params.push(from["run_at"] ?? null, from["id"] ?? null);
  params.push(size);
  return tx.all(
    `SELECT id, endpoint_id, run_at FROM deliveries WHERE ${FREE} AND ${ACTIVE_ENDPOINT}${busy}${after} ORDER BY run_at, id LIMIT ?`,
    params,
  );
}

/**
 * Appends `rows` to `picked`, in order, while the claim has room and each row's endpoint is under
 * its cap (counting what this process has in flight); returns whether a cap left a row out.
 */
function takeCapped(
  rows: readonly SqlRow[],
  request: ClaimRequest,
  taken: Map<number, number>,
  picked: Candidate[],
): boolean {
  let capped = false;
  for (const row of rows) {
    if (picked.length >= request.limit) break;
    const endpointId = Number(row["endpoint_id"]);
    const n = taken.get(endpointId) ?? request.inFlight?.get(endpointId) ?? 0;
    if (n >= (request.caps?.get(endpointId) ?? request.perEndpoint)) {
      capped = true;
      continue;
    }
    taken.set(endpointId, n + 1);
    picked.push({ id: String(row["id"]), endpointId });
  }
  return capped;
}

/**
 * Due rows to take, capped per endpoint (one backed-up endpoint cannot fill a claim): a page of
 * `limit` rows and, only when caps left that full page short, up to `OVERREAD × limit` more.
 */
async function pick(tx: SqlExecutor, request: ClaimRequest): Promise<Candidate[]> {
  const taken = new Map<number, number>();
  const picked: Candidate[] = [];
  const page = await candidatePage(tx, request, undefined, request.limit);
  if (takeCapped(page, request, taken, picked) && page.length === request.limit) {
    const more = await candidatePage(tx, request, page.at(-1), request.limit * OVERREAD);
    takeCapped(more, request, taken, picked);
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
  const picked = await pick(tx, request);
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
