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
import { marks, type SqlExecutor, type SqlValue } from "./sql-driver.ts";

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
   * range being compared with every period.
   */
  report(table: "report_activity" | "report_commissions", query: Omit<ReportQuery, "from" | "to">): string {
    const columns = table === "report_activity" ? ["event", "currency"] : ["currency", "status"];
    const sums =
      table === "report_activity"
        ? "SUM(r.count) AS count, SUM(r.amount_minor) AS amount_minor"
        : "SUM(r.amount_minor) AS amount_minor";
    const where =
      query.affiliateId !== undefined
        ? "r.affiliate_id = ? AND r.bucket_at >= ? AND r.bucket_at < ?"
        : query.programIds !== undefined
          ? `r.program_id IN (${marks(Math.max(query.programIds.length, 1))}) AND r.bucket_at >= ? AND r.bucket_at < ?`
          : "r.bucket_at >= ? AND r.bucket_at < ?";
    const programs =
      query.affiliateId !== undefined && query.programIds !== undefined
        ? ` AND r.program_id IN (${marks(Math.max(query.programIds.length, 1))})`
        : "";
    const periods = new Array(Math.max(query.periods.length, 1))
      .fill("(CAST(? AS BIGINT), CAST(? AS BIGINT), ?)")
      .join(", ");
    const keys = ["p.label", "r.affiliate_id", "r.program_id", ...columns.map((c) => `r.${c}`)].join(", ");
    return `WITH periods (start_at, end_at, label) AS (VALUES ${periods})
      SELECT ${keys}, ${sums} FROM periods p CROSS JOIN ${table} r
      WHERE r.bucket_at >= p.start_at AND r.bucket_at < p.end_at AND ${where}${programs} GROUP BY ${keys}`;
  },
  deliveries: `SELECT +program_id AS program_id, SUM(CASE WHEN class = 'ok' THEN count ELSE 0 END) AS ok,
      SUM(CASE WHEN class = 'failing' THEN count ELSE 0 END) AS failing,
      SUM(CASE WHEN class = 'dead' THEN count ELSE 0 END) AS dead
    FROM delivery_rollup WHERE hour_at >= ? GROUP BY +program_id`,
} as const;

function reportParams(query: ReportQuery): SqlValue[] {
  const periods = query.periods.length ? query.periods.flatMap((p) => [p.start, p.end, p.label]) : [0, 0, ""];
  const programs =
    query.programIds === undefined ? [] : query.programIds.length ? [...query.programIds] : [-1];
  if (query.affiliateId !== undefined)
    return [...periods, query.affiliateId, query.from, query.to, ...programs];
  return [...periods, ...programs, query.from, query.to];
}

export function createStatsStore(db: SqlExecutor): StatsStore {
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
      return (await db.all(STATS_SQL.report("report_activity", query), reportParams(query))).map(
        (r): ActivityCount => ({
          affiliateId: num(r["affiliate_id"]),
          programId: num(r["program_id"]),
          period: String(r["label"]),
          event: String(r["event"]),
          currency: r["currency"] ? String(r["currency"]) : null,
          count: num(r["count"]),
          amountMinor: num(r["amount_minor"]),
        }),
      );
    },
    async reportCommissions(query) {
      return (await db.all(STATS_SQL.report("report_commissions", query), reportParams(query))).map(
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
