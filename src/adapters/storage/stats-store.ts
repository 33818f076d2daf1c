/**
 * The stats reads over the rollups (012_rollups.sql). Each reads one index range of a rollup table
 * (test/adapters/storage/query-plans.test.ts): a program's hours, an operator's, or every
 * program's; a report's buckets by affiliate, by program or in all.
 */
import type {
  ActivityCount,
  CommissionAmount,
  DeliveryCount,
  PostbackCount,
  PostbackQuery,
  ReportQuery,
  StatsStore,
} from "../../app/stats/stats-port.ts";
import type { RequestOutcome } from "../../domain/request-outcome.ts";
import { HOUR_MS } from "./rollups.ts";
import { marks, type SqlDriver, type SqlValue } from "./sql-driver.ts";

const num = (v: unknown): number => Number(v);
const orNull = (v: unknown): number | null => (Number(v) === 0 ? null : Number(v));

/** The rollup statements, by shape (query plans are checked on these). */
export const STATS_SQL = {
  postbacks(query: Pick<PostbackQuery, "programId" | "operatorId" | "byHour">): string {
    const hour = query.byHour ? "hour_at" : "NULL";
    const where =
      query.programId !== undefined
        ? "program_id = ? AND hour_at >= ? AND hour_at < ?"
        : query.operatorId !== undefined
          ? "operator_id = ? AND hour_at >= ? AND hour_at < ?"
          : "hour_at >= ? AND hour_at < ?";
    const group = query.byHour ? "hour_at, " : "";
    return `SELECT operator_id, program_id, ${hour} AS hour_at, outcome, code, latency_le_us, SUM(count) AS count
      FROM postback_rollup WHERE ${where}
      GROUP BY operator_id, program_id, ${group}outcome, code, latency_le_us`;
  },
  /**
   * A report's rows summed per period. The periods drive the join (CROSS JOIN fixes SQLite's join
   * order): each reads its own range of the rollup's bucket index, rather than every row of the
   * range being compared with every period. Activity also reads the deltas not folded yet
   * (report_activity_delta, a few seconds' worth, unindexed) in the same statement, so a fold
   * between two reads cannot count a row twice or not at all; the two parts' rows are added up by
   * reportActivity.
   */
  report(table: "report_activity" | "report_commissions", query: Omit<ReportQuery, "from" | "to">): string {
    const periods = new Array(Math.max(query.periods.length, 1))
      .fill("(CAST(? AS BIGINT), CAST(? AS BIGINT), ?)")
      .join(", ");
    const parts =
      table === "report_activity"
        ? `${reportPart("report_activity", query)} UNION ALL ${reportPart("report_activity_delta", query)}`
        : reportPart("report_commissions", query);
    return `WITH periods (start_at, end_at, label) AS (VALUES ${periods}) ${parts}`;
  },
  deliveries: `SELECT +program_id AS program_id, SUM(CASE WHEN class = 'ok' THEN count ELSE 0 END) AS ok,
      SUM(CASE WHEN class = 'failing' THEN count ELSE 0 END) AS failing,
      SUM(CASE WHEN class = 'dead' THEN count ELSE 0 END) AS dead
    FROM delivery_rollup WHERE hour_at >= ? GROUP BY +program_id`,
} as const;

/** One table's part of a report: its rows in the range, summed per period and key. */
function reportPart(
  table: "report_activity" | "report_activity_delta" | "report_commissions",
  query: Omit<ReportQuery, "from" | "to">,
): string {
  // (The deltas as `d`: the plan tests tell the rollup's index reads from theirs.)
  const r = table === "report_activity_delta" ? "d" : "r";
  const activity = table !== "report_commissions";
  const columns = activity ? ["event", "currency"] : ["currency", "status"];
  const sums = activity
    ? `SUM(${r}.count) AS count, SUM(${r}.amount_minor) AS amount_minor`
    : `SUM(${r}.amount_minor) AS amount_minor`;
  const where =
    query.affiliateId !== undefined
      ? `${r}.affiliate_id = ? AND ${r}.bucket_at >= ? AND ${r}.bucket_at < ?`
      : query.programIds !== undefined
        ? `${r}.program_id IN (${marks(Math.max(query.programIds.length, 1))}) AND ${r}.bucket_at >= ? AND ${r}.bucket_at < ?`
        : `${r}.bucket_at >= ? AND ${r}.bucket_at < ?`;
  const programs =
    query.affiliateId !== undefined && query.programIds !== undefined
      ? ` AND ${r}.program_id IN (${marks(Math.max(query.programIds.length, 1))})`
      : "";
  const keys = ["p.label", `${r}.affiliate_id`, `${r}.program_id`, ...columns.map((c) => `${r}.${c}`)].join(
    ", ",
  );
  return `SELECT ${keys}, ${sums} FROM periods p CROSS JOIN ${table} ${r}
      WHERE ${r}.bucket_at >= p.start_at AND ${r}.bucket_at < p.end_at AND ${where}${programs} GROUP BY ${keys}`;
}

/** The parameters of STATS_SQL.report(table, query), in their order. */
export function reportParams(
  table: "report_activity" | "report_commissions",
  query: ReportQuery,
): SqlValue[] {
  const periods = query.periods.length ? query.periods.flatMap((p) => [p.start, p.end, p.label]) : [0, 0, ""];
  const programs =
    query.programIds === undefined ? [] : query.programIds.length ? [...query.programIds] : [-1];
  const part =
    query.affiliateId !== undefined
      ? [query.affiliateId, query.from, query.to, ...programs]
      : [...programs, query.from, query.to];
  return table === "report_activity" ? [...periods, ...part, ...part] : [...periods, ...part];
}

/**
 * Moves the report activity appended since the last fold (report_activity_delta) into
 * report_activity, summed per key, in slot 0; returns the delta rows moved. PostgreSQL: one
 * statement, whose DELETE takes only rows committed before it and each once (a second process
 * folding at the same time waits for those rows and then skips them); keys are written in order,
 * so two folds never deadlock. SQLite: the upsert and the delete in one transaction (one writer).
 */
async function foldActivity(db: SqlDriver): Promise<number> {
  const key = "affiliate_id, program_id, bucket_at, event, currency";
  const upsert = `ON CONFLICT (${key}, slot) DO UPDATE SET count = report_activity.count + excluded.count,
      amount_minor = report_activity.amount_minor + excluded.amount_minor`;
  if (db.engine === "postgres") {
    const [row] = await db.all(
      `WITH moved AS (DELETE FROM report_activity_delta RETURNING ${key}, count, amount_minor),
        folded AS (INSERT INTO report_activity (${key}, slot, count, amount_minor)
          SELECT ${key}, 0, SUM(count), SUM(amount_minor) FROM moved GROUP BY ${key} ORDER BY ${key}
          ${upsert})
      SELECT COUNT(*) AS n FROM moved`,
    );
    return Number(row?.["n"] ?? 0);
  }
  return db.transaction(async (tx) => {
    // (WHERE true: SQLite's parser needs it between an INSERT's SELECT and its ON CONFLICT.)
    await tx.run(
      `INSERT INTO report_activity (${key}, slot, count, amount_minor)
        SELECT ${key}, 0, SUM(count), SUM(amount_minor) FROM report_activity_delta WHERE true GROUP BY ${key}
        ${upsert}`,
    );
    return tx.run("DELETE FROM report_activity_delta");
  });
}

/**
 * PostgreSQL: every this many folds, the deltas' table is vacuumed. Its rows are all deleted a
 * second after they arrive, and their space is reused only once vacuumed: without (autovacuum off,
 * or behind), 140,000 rows appended and folded left 10.7 MB of heap that every fold and report then
 * scanned; vacuumed every 60 folds, 1.0 MB.
 */
const VACUUM_EVERY_FOLDS = 60;

export function createStatsStore(db: SqlDriver): StatsStore {
  let folds = 0;
  return {
    async postbackCounts(query) {
      const scope = query.programId ?? query.operatorId;
      const params = [...(scope === undefined ? [] : [scope]), query.from, query.to];
      return (await db.all(STATS_SQL.postbacks(query), params)).map(
        (r): PostbackCount => ({
          operatorId: orNull(r["operator_id"]),
          programId: orNull(r["program_id"]),
          hourAt: r["hour_at"] === null ? null : num(r["hour_at"]),
          outcome: String(r["outcome"]) as RequestOutcome,
          code: String(r["code"]),
          latencyLeUs: num(r["latency_le_us"]),
          count: num(r["count"]),
        }),
      );
    },
    async reportActivity(query) {
      const rows = await db.all(
        STATS_SQL.report("report_activity", query),
        reportParams("report_activity", query),
      );
      // A key may come from both parts (folded, and appended since): its sums added up.
      const counts = new Map<string, ActivityCount>();
      for (const r of rows) {
        const id = [r["label"], r["affiliate_id"], r["program_id"], r["event"], r["currency"]].join("\u0000");
        const found = counts.get(id);
        counts.set(id, {
          affiliateId: num(r["affiliate_id"]),
          programId: num(r["program_id"]),
          period: String(r["label"]),
          event: String(r["event"]),
          currency: r["currency"] ? String(r["currency"]) : null,
          count: num(r["count"]) + (found?.count ?? 0),
          amountMinor: num(r["amount_minor"]) + (found?.amountMinor ?? 0),
        });
      }
      return [...counts.values()];
    },
    async foldActivity() {
      const moved = await foldActivity(db);
      if (db.engine === "postgres" && ++folds % VACUUM_EVERY_FOLDS === 0)
        await db.run("VACUUM report_activity_delta");
      return moved;
    },
    async reportCommissions(query) {
      return (
        await db.all(STATS_SQL.report("report_commissions", query), reportParams("report_commissions", query))
      ).map(
        (r): CommissionAmount => ({
          affiliateId: num(r["affiliate_id"]),
          programId: num(r["program_id"]),
          period: String(r["label"]),
          currency: String(r["currency"]),
          status: String(r["status"]),
          amountMinor: num(r["amount_minor"]),
        }),
      );
    },
    async deliveryCounts(since) {
      // (`+program_id`: SQLite would walk the whole primary key for the grouping's order otherwise.)
      const rows = await db.all(STATS_SQL.deliveries, [since - (since % HOUR_MS)]);
      return rows
        .filter((r) => Number(r["program_id"]) !== 0)
        .map(
          (r): DeliveryCount => ({
            programId: num(r["program_id"]),
            ok: num(r["ok"]),
            failing: num(r["failing"]),
            dead: num(r["dead"]),
          }),
        );
    },
  };
}
