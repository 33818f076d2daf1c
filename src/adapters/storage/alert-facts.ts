/**
 * What the alert rules read (AlertFactsReader), over SQL on both engines: operators with their
 * last postback (one index seek each, as GET /v1/operators/{id}/activity), the endpoints worth
 * judging, and hourly outcomes from the postback rollup by its hour index (never raw rows).
 */
import { type Kysely, sql } from "kysely";
import type { AlertFactsReader, HourOutcomes } from "../../app/alerts/alert-port.ts";
import type { Store } from "../../app/ports.ts";
import type { Database } from "./database.ts";
import { rowsOf } from "./query.ts";
import type { SqlExecutor } from "./sql-driver.ts";

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function createAlertFacts(
  db: SqlExecutor,
  builder: Kysely<Database>,
  operators: Pick<Store["operators"], "activity">,
): AlertFactsReader {
  return {
    async operators() {
      const rows = await rowsOf(
        db,
        builder.selectFrom("operators").select(["id", "name"]).where("status", "=", "active").orderBy("id"),
      );
      const ids = rows.map((r) => Number(r["id"]));
      const activity = await operators.activity(ids);
      return rows.map((r) => ({
        id: Number(r["id"]),
        name: String(r["name"]),
        lastPostbackAt: activity.get(Number(r["id"]))?.lastPostbackAt ?? null,
      }));
    },
    async endpoints() {
      const query = builder
        .selectFrom("endpoints")
        .select([
          "id",
          "name",
          "affiliate_id",
          "status",
          "failing_since",
          "consecutive_failures",
          "disabled_reason",
          "disabled_at",
        ])
        // Active ones (are they failing?) and those the dispatcher disabled (a reason recorded).
        .where((eb) => eb.or([eb("status", "=", "active"), eb("disabled_reason", "is not", null)]))
        .orderBy("id");
      return (await rowsOf(db, query)).map((r) => ({
        id: Number(r["id"]),
        name: String(r["name"]),
        affiliateId: Number(r["affiliate_id"]),
        status: String(r["status"]) === "active" ? ("active" as const) : ("disabled" as const),
        failingSince: num(r["failing_since"]),
        consecutiveFailures: Number(r["consecutive_failures"]),
        disabledReason: r["disabled_reason"] === null ? null : String(r["disabled_reason"]),
        disabledAt: num(r["disabled_at"]),
      }));
    },
    async hourlyOutcomes(from, to) {
      const count = (outcomes: readonly string[]) =>
        sql<number>`SUM(CASE WHEN outcome IN (${sql.join(outcomes)}) THEN count ELSE 0 END)`;
      const query = builder
        .selectFrom("postback_rollup")
        .select([
          "operator_id",
          "hour_at",
          sql<number>`SUM(count)`.as("postbacks"),
          count(["rejected"]).as("rejected"),
          count(["accepted", "unattributed"]).as("accepted"),
          count(["unattributed"]).as("unattributed"),
        ])
        .where("hour_at", ">=", from)
        .where("hour_at", "<", to)
        .where("operator_id", "<>", 0)
        .groupBy(["operator_id", "hour_at"]);
      return (await rowsOf(db, query)).map(
        (r): HourOutcomes => ({
          operatorId: Number(r["operator_id"]),
          hour: Number(r["hour_at"]),
          postbacks: Number(r["postbacks"]),
          rejected: Number(r["rejected"]),
          accepted: Number(r["accepted"]),
          unattributed: Number(r["unattributed"]),
        }),
      );
    },
  };
}
