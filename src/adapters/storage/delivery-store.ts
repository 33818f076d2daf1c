/**
 * `DeliveryStore` over a SQL driver, for both engines. Claims follow graphile/worker: due rows are
 * locked by a worker (locked_at/locked_by) and their attempts counted in one statement; on
 * PostgreSQL the rows are taken FOR UPDATE SKIP LOCKED, so several processes share the outbox and
 * never take the same row twice. A claim older than the lease is taken again (its process died).
 *
 * Endpoint CRUD, listings and replays are built with Kysely (sql-dialect.ts). Claims, outcomes,
 * releases, pausing and the due backlog stay hand-written: they run on the dispatcher's path, and
 * they say `state = 'pending'` as a literal, which the partial due index needs (SQLite's planner
 * and PostgreSQL's generic plans cannot match a bound value to an index's WHERE).
 */
import { type SqlBool, sql } from "kysely";
import type { DeliveryFilter, DeliveryStore } from "../../app/delivery/delivery-store-port.ts";
import type { Endpoint, EndpointPatch, NewEndpoint } from "../../app/delivery/outbox-port.ts";
import { ACTIVE_ENDPOINT, claimIn } from "./delivery-claim.ts";
import { finishIn } from "./delivery-finish.ts";
import { forwardOps } from "./delivery-forward.ts";
import { attemptFromRow, deliveryFromRow } from "./delivery-rows.ts";
import { dialectOf } from "./dialects.ts";
import { entityTable, type TableSpec } from "./entity-table.ts";
import { changesOf, firstOf, rowsOf } from "./query.ts";
import { limitOf, marks, type SqlDriver, type SqlExecutor } from "./sql-driver.ts";
import { newestPage, timeWindow } from "./time-window.ts";

export const ENDPOINTS: TableSpec<"endpoints"> = {
  table: "endpoints",
  columns: [
    { field: "affiliateId", column: "affiliate_id" },
    { field: "name", column: "name" },
    { field: "urlTemplate", column: "url_template" },
    { field: "method", column: "method" },
    { field: "events", column: "events", kind: "json" },
    { field: "programIds", column: "program_ids", kind: "json" },
    { field: "statuses", column: "statuses", kind: "json" },
    { field: "delaySeconds", column: "delay_seconds" },
    { field: "includeTest", column: "include_test", kind: "bool" },
    { field: "secret", column: "secret" },
    { field: "previousSecret", column: "previous_secret" },
    { field: "previousSecretExpiresAt", column: "previous_secret_expires_at" },
    { field: "status", column: "status" },
    { field: "disabledReason", column: "disabled_reason" },
    { field: "disabledAt", column: "disabled_at" },
    { field: "consecutiveFailures", column: "consecutive_failures" },
  ],
  filters: { affiliateId: "affiliate_id" },
};

type EndpointRow = NewEndpoint &
  Pick<
    Endpoint,
    "previousSecret" | "previousSecretExpiresAt" | "disabledReason" | "disabledAt" | "consecutiveFailures"
  >;

function endpointsOf(db: SqlDriver): DeliveryStore["endpoints"] {
  const { builder } = dialectOf(db.engine);
  const table = entityTable<Endpoint, EndpointRow>(db, builder, ENDPOINTS);
  return {
    create: (row, now, disabledReason) => {
      const disabled = row.status === "disabled";
      return table.create(
        {
          ...row,
          previousSecret: null,
          previousSecretExpiresAt: null,
          disabledReason: disabled ? (disabledReason ?? null) : null,
          disabledAt: disabled ? now : null,
          consecutiveFailures: 0,
        },
        now,
      );
    },
    get: (id) => table.get(id),
    list: (filter) => table.list(filter),
    async update(id, patch: EndpointPatch, now) {
      // Re-enabling clears the record of why it was disabled and the failure run.
      const enable =
        patch.status === "active" ? { disabledReason: null, disabledAt: null, consecutiveFailures: 0 } : {};
      const updated = await table.update(id, { ...patch, ...enable }, now);
      if (updated && patch.status)
        await moveDeliveries(db, id, patch.status === "active" ? "resume" : "pause");
      return updated;
    },
    async disable(id, reason, now) {
      const changed = await changesOf(
        db,
        builder
          .updateTable("endpoints")
          .set({ status: "disabled", disabled_reason: reason, disabled_at: now, updated_at: now })
          .where("id", "=", id)
          .where("status", "=", "active"),
      );
      if (changed) await moveDeliveries(db, id, "pause");
    },
    async replaceSecrets(id, expected, next, now) {
      // Compare-and-set on the secret read: two rotations at once cannot both keep "their" previous.
      const changed = await changesOf(
        db,
        builder
          .updateTable("endpoints")
          .set({
            secret: next.secret,
            previous_secret: next.previousSecret,
            previous_secret_expires_at: next.previousSecretExpiresAt,
            updated_at: now,
          })
          .where("id", "=", id)
          .where("secret", "=", expected),
      );
      return changed ? table.get(id) : undefined;
    },
    eraseExpiredSecrets: (now) =>
      // `<=`: a previous secret stops signing exactly at its expiry (signingSecretsAt). The expiry
      // is compared in the UPDATE itself, not read first: on PostgreSQL a row a rotation changed
      // meanwhile is re-checked against its new expiry (READ COMMITTED), on SQLite writes are
      // serial. updated_at is left alone: the endpoint as shown (liveSecrets) does not change.
      changesOf(
        db,
        builder
          .updateTable("endpoints")
          .set({ previous_secret: null, previous_secret_expires_at: null })
          .where("previous_secret_expires_at", "<=", now),
      ),
    async recordResult(id, ok, now) {
      if (ok) {
        await db.run(
          "UPDATE endpoints SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0",
          [id],
        );
        return 0;
      }
      const [row] = await db.all(
        "UPDATE endpoints SET consecutive_failures = consecutive_failures + 1, updated_at = ? WHERE id = ? RETURNING consecutive_failures",
        [now, id],
      );
      return Number(row?.["consecutive_failures"] ?? 0);
    },
  };
}

/** An attempt that did not get a 2xx: the delivery_attempts_failed index's predicate, as written there. */
const FAILED_ATTEMPT = sql<SqlBool>`(http_status IS NULL OR http_status < 200 OR http_status > 299)`;

/** Deliveries: newest first by (created_at, id). */
const CREATED = ["created_at", "id"] as const;

/** Delivery claims and outcomes commit without waiting for the disk (sql-driver.ts). */
const BOOKKEEPING = { durable: false } as const;

/** Deliveries moved per statement when an endpoint is paused or resumed. */
const MOVE_CHUNK = 5000;

/**
 * Pauses an endpoint's pending deliveries (out of the claim's due index) or resumes its paused
 * ones, a chunk per statement: a long backlog never holds the write lock (nor, on SQLite, the
 * event loop) for long. Claimed rows stay as they are (their sends finish first); the claim's
 * endpoint check keeps a disabled endpoint's rows unsent meanwhile.
 */
async function moveDeliveries(db: SqlExecutor, endpointId: number, move: "pause" | "resume"): Promise<void> {
  const [from, to] = move === "pause" ? ["pending", "paused"] : ["paused", "pending"];
  const lock = move === "pause" ? " AND locked_by IS NULL" : "";
  for (;;) {
    // Pending rows through the due index (endpoint_id, run_at, id); paused ones through the state
    // index (`+endpoint_id`: not the endpoint's whole history through its own index).
    const endpoint = move === "pause" ? "endpoint_id" : "+endpoint_id";
    const moved = await db.run(
      `UPDATE deliveries SET state = '${to}' WHERE id IN (SELECT id FROM deliveries
         WHERE state = '${from}' AND ${endpoint} = ?${lock} LIMIT ${MOVE_CHUNK})`,
      [endpointId],
    );
    if (moved < MOVE_CHUNK) return;
  }
}

export function createDeliveryStore(db: SqlDriver): DeliveryStore {
  const dialect = dialectOf(db.engine);
  const { builder } = dialect;
  return {
    endpoints: endpointsOf(db),
    ...forwardOps(db),
    // Claims and outcomes are bookkeeping of at-least-once delivery: their commits do not wait for
    // the disk (BOOKKEEPING); a machine crash that loses one only means a delivery is sent again.
    claim: (request) => db.transaction((tx) => claimIn(tx, dialect, request), BOOKKEEPING),
    releaseAll: () =>
      // Claimed rows are pending until finished: read through the pending index, not the table.
      db.run(
        "UPDATE deliveries SET locked_at = NULL, locked_by = NULL WHERE state = 'pending' AND locked_by IS NOT NULL",
      ),
    async release(ids, workerId) {
      let released = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        released += await db.run(
          `UPDATE deliveries SET locked_at = NULL, locked_by = NULL, attempts = attempts - 1
           WHERE id IN (${marks(part.length)}) AND locked_by = ? AND state = 'pending'`,
          [...part, workerId],
        );
      }
      return released;
    },
    finish: (id, workerId, outcome, attempt, now) =>
      db.transaction((tx) => finishIn(tx, dialect, [{ id, workerId, outcome, attempt, now }]), BOOKKEEPING),
    finishAndClaim: (items, claim) =>
      db.transaction(async (tx) => {
        await finishIn(tx, dialect, items);
        return claim ? claimIn(tx, dialect, claim) : [];
      }, BOOKKEEPING),
    async get(id) {
      const row = await firstOf(db, builder.selectFrom("deliveries").selectAll().where("id", "=", id));
      return row ? deliveryFromRow(row) : undefined;
    },
    async list(filter: DeliveryFilter) {
      const { affiliateId, endpointId, conversionId, state } = filter;
      const equal = {
        affiliate_id: affiliateId,
        endpoint_id: endpointId,
        conversion_id: conversionId,
        state,
      };
      const query = newestPage(builder.selectFrom("deliveries").selectAll(), equal, CREATED, filter);
      return (await rowsOf(db, query)).map(deliveryFromRow);
    },
    async listOfProgram({ programId, kind, limit }) {
      const query = builder
        .selectFrom("deliveries as d")
        .innerJoin("conversions as c", "c.id", "d.conversion_id")
        .selectAll("d")
        .where("c.program_id", "=", programId)
        .where("d.state", "=", kind === "dead" ? "dead" : "pending")
        .$if(kind === "failing", (q) => q.where("d.attempts", ">", 0))
        .orderBy("d.created_at", "desc")
        .orderBy("d.id", "desc")
        .limit(limitOf(limit));
      return (await rowsOf(db, query)).map(deliveryFromRow);
    },
    async attempts(filter) {
      const affiliate = filter.affiliateId;
      const query = builder
        .selectFrom("delivery_attempts")
        .selectAll()
        // Written as the failed-attempts index's predicate, so that index serves it.
        .$if(filter.failed === true, (q) => q.where(FAILED_ATTEMPT))
        .$if(affiliate !== undefined, (q) =>
          q.where(
            "endpoint_id",
            "in",
            builder.selectFrom("endpoints").select("id").where("affiliate_id", "=", affiliate!),
          ),
        );
      const equal = { endpoint_id: filter.endpointId, delivery_id: filter.deliveryId };
      return (await rowsOf(db, newestPage(query, equal, ["started_at", "id"], filter))).map(attemptFromRow);
    },
    async replay(id, now) {
      const changed = await changesOf(
        db,
        builder
          .updateTable("deliveries")
          .set({ state: "pending", run_at: now, attempts: 0, updated_at: now })
          .where("id", "=", id)
          .where("locked_by", "is", null),
      );
      return changed > 0;
    },
    replayRange: (range, now) =>
      changesOf(
        db,
        builder
          .updateTable("deliveries")
          .set({ state: "pending", run_at: now, attempts: 0, updated_at: now })
          .where((eb) =>
            eb.and([eb.and({ endpoint_id: range.endpointId }), ...timeWindow("created_at", "id", range)]),
          )
          .where("locked_by", "is", null)
          .where("state", "in", range.states?.length ? range.states : ["dead"]),
      ),
    async dueBacklog(now) {
      const [row] = await db.all(
        `SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending' AND run_at <= ? AND ${ACTIVE_ENDPOINT}`,
        [now],
      );
      return Number(row?.["n"] ?? 0);
    },
  };
}
