/** Alerts, their webhooks and notifications over SQL (both engines, built with Kysely): the `AlertStore` port. */
import { type Kysely, type SqlBool, sql } from "kysely";
import type {
  AlertNotificationRow,
  AlertRow,
  AlertStore,
  AlertWebhook,
  ClaimedNotification,
  NewAlertWebhook,
  NewNotification,
} from "../../app/alerts/alert-port.ts";
import type { Database } from "./database.ts";
import { entityTable, rowToEntity, type TableSpec } from "./entity-table.ts";
import { changesOf, firstOf, rowsOf } from "./query.ts";
import type { SqlDriver, SqlExecutor, SqlRow } from "./sql-driver.ts";

export const ALERT_WEBHOOKS: TableSpec<"alert_webhooks"> = {
  table: "alert_webhooks",
  columns: [
    { field: "name", column: "name" },
    { field: "url", column: "url" },
    { field: "format", column: "format" },
    { field: "secret", column: "secret" },
    { field: "status", column: "status" },
  ],
  filters: {},
};

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function alertFromRow(r: SqlRow): AlertRow {
  return {
    id: String(r["id"]),
    rule: String(r["rule"]) as AlertRow["rule"],
    subjectKind: String(r["subject_kind"]) as AlertRow["subjectKind"],
    subjectId: Number(r["subject_id"]),
    subjectName: String(r["subject_name"]),
    state: String(r["state"]) as AlertRow["state"],
    since: Number(r["since"]),
    resolvedAt: num(r["resolved_at"]),
    figures: JSON.parse(String(r["figures"])),
    link: String(r["link"]),
    createdAt: Number(r["created_at"]),
    updatedAt: Number(r["updated_at"]),
  };
}

function notificationFromRow(r: SqlRow): AlertNotificationRow {
  return {
    id: String(r["id"]),
    webhookId: Number(r["webhook_id"]),
    transition: String(r["transition"]) as AlertNotificationRow["transition"],
    state: String(r["state"]) as AlertNotificationRow["state"],
    attempts: Number(r["attempts"]),
    lastError: r["last_error"] === null ? null : String(r["last_error"]),
    lastStatus: num(r["last_status"]),
    deliveredAt: num(r["delivered_at"]),
  };
}

async function queue(
  db: SqlExecutor,
  builder: Kysely<Database>,
  alertId: string,
  notifications: readonly NewNotification[],
  now: number,
) {
  if (!notifications.length) return;
  await changesOf(
    db,
    builder
      .insertInto("alert_notifications")
      .values(
        notifications.map((n) => ({
          id: n.id,
          alert_id: alertId,
          webhook_id: n.webhookId,
          transition: n.transition,
          state: "pending",
          attempts: 0,
          run_at: now,
          last_error: null,
          last_status: null,
          created_at: now,
          delivered_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(["alert_id", "webhook_id", "transition"]).doNothing()),
  );
}

export function createAlertStore(db: SqlDriver, builder: Kysely<Database>): AlertStore {
  const webhooks = entityTable<AlertWebhook, NewAlertWebhook>(db, builder, ALERT_WEBHOOKS);
  const alertIn = async (executor: SqlExecutor, id: string) => {
    const row = await firstOf(executor, builder.selectFrom("alerts").selectAll().where("id", "=", id));
    return row ? alertFromRow(row) : undefined;
  };
  return {
    async firing() {
      const query = builder.selectFrom("alerts").selectAll().where("state", "=", "firing");
      return (await rowsOf(db, query)).map(alertFromRow);
    },
    open: (alert, notifications) =>
      db.transaction(async (tx) => {
        // The partial unique index (rule, subject) WHERE state = 'firing' decides between processes.
        const inserted = await changesOf(
          tx,
          builder
            .insertInto("alerts")
            .values({
              id: alert.id,
              rule: alert.rule,
              subject_kind: alert.subjectKind,
              subject_id: alert.subjectId,
              subject_name: alert.subjectName,
              state: "firing",
              since: alert.since,
              resolved_at: null,
              figures: JSON.stringify(alert.figures),
              link: alert.link,
              created_at: alert.createdAt,
              updated_at: alert.updatedAt,
            })
            // The partial index's own predicate as a literal: SQLite matches it to the index textually.
            .onConflict((oc) =>
              oc
                .columns(["rule", "subject_kind", "subject_id"])
                .where(sql<SqlBool>`state = 'firing'`)
                .doNothing(),
            ),
        );
        if (!inserted) return false;
        await queue(tx, builder, alert.id, notifications, alert.createdAt);
        return true;
      }),
    async refresh(id, figures, now) {
      await changesOf(
        db,
        builder
          .updateTable("alerts")
          .set({ figures: JSON.stringify(figures), updated_at: now })
          .where("id", "=", id)
          .where("state", "=", "firing"),
      );
    },
    resolve: (id, now, notifications) =>
      db.transaction(async (tx) => {
        const changed = await changesOf(
          tx,
          builder
            .updateTable("alerts")
            .set({ state: "resolved", resolved_at: now, updated_at: now })
            .where("id", "=", id)
            .where("state", "=", "firing"),
        );
        if (!changed) return false;
        await queue(tx, builder, id, notifications, now);
        return true;
      }),
    async list(filter) {
      let query = builder.selectFrom("alerts").selectAll();
      if (filter.state) query = query.where("state", "=", filter.state);
      if (filter.subject)
        query = query
          .where("subject_kind", "=", filter.subject.kind)
          .where("subject_id", "=", filter.subject.id);
      if (filter.after) {
        const [at, id] = filter.after;
        query = query.where((eb) =>
          eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]),
        );
      }
      const rows = await rowsOf(
        db,
        query.orderBy("created_at", "desc").orderBy("id", "desc").limit(filter.limit),
      );
      return rows.map(alertFromRow);
    },
    get: (id) => alertIn(db, id),
    async notificationsOf(alertId) {
      const query = builder
        .selectFrom("alert_notifications")
        .selectAll()
        .where("alert_id", "=", alertId)
        .orderBy("created_at")
        .orderBy("id");
      return (await rowsOf(db, query)).map(notificationFromRow);
    },
    claim: (now, leaseMs, limit) =>
      db.transaction(async (tx) => {
        // Due rows are moved a lease ahead and their attempt counted before they are sent: another
        // process (PostgreSQL) re-checks run_at after waiting for the row and skips it.
        const due = await rowsOf(
          tx,
          builder
            .selectFrom("alert_notifications")
            .select("id")
            .where("state", "=", "pending")
            .where("run_at", "<=", now)
            .orderBy("run_at")
            .orderBy("id")
            .limit(limit),
        );
        if (!due.length) return [];
        const claimed = await rowsOf(
          tx,
          builder
            .updateTable("alert_notifications")
            .set((eb) => ({ run_at: now + leaseMs, attempts: eb("attempts", "+", 1) }))
            .where(
              "id",
              "in",
              due.map((r) => String(r["id"])),
            )
            .where("state", "=", "pending")
            .where("run_at", "<=", now)
            .returningAll(),
        );
        if (!claimed.length) return [];
        // Their alerts and webhooks by primary key, one statement each (not one per notification).
        const alertIds = [...new Set(claimed.map((n) => String(n["alert_id"])))];
        const hookIds = [...new Set(claimed.map((n) => Number(n["webhook_id"])))];
        const alerts = new Map(
          (await rowsOf(tx, builder.selectFrom("alerts").selectAll().where("id", "in", alertIds)))
            .map(alertFromRow)
            .map((a) => [a.id, a]),
        );
        const hooks = new Map(
          (await rowsOf(tx, builder.selectFrom("alert_webhooks").selectAll().where("id", "in", hookIds)))
            .map((r) => rowToEntity<AlertWebhook>(ALERT_WEBHOOKS, r))
            .map((w) => [w.id, w]),
        );
        const out: ClaimedNotification[] = [];
        for (const n of claimed) {
          const alert = alerts.get(String(n["alert_id"]));
          const webhook = hooks.get(Number(n["webhook_id"]));
          if (!alert || !webhook) continue;
          out.push({
            id: String(n["id"]),
            transition: String(n["transition"]) as ClaimedNotification["transition"],
            attempts: Number(n["attempts"]),
            alert,
            webhook,
          });
        }
        return out;
      }),
    async finish(id, outcome, now) {
      await changesOf(
        db,
        builder
          .updateTable("alert_notifications")
          .set({
            state: outcome.state,
            run_at: outcome.runAt,
            last_error: outcome.lastError,
            last_status: outcome.lastStatus,
            delivered_at: outcome.state === "delivered" ? now : null,
          })
          .where("id", "=", id),
      );
    },
    webhooks: {
      create: (row, now) => webhooks.create(row, now),
      list: () => webhooks.list({ limit: 1000 }),
      get: (id) => webhooks.get(id),
      update: (id, patch, now) => webhooks.update(id, patch, now),
    },
  };
}
