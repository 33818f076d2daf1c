/**
 * What the rollups of 012_rollups.sql mean, as recounts of the raw rows (the rollup tests compare
 * the tables with these), and the shapes the stats reads share: the hour, the 15-minute report
 * bucket and the latency histogram's bounds. The triggers in the migrations spell the same
 * expressions in SQL; the recount here is built from the constants below, so a bound or an outcome
 * rule that differs between the two fails the tests.
 */
import { LATENCY_BOUNDS_US, LATENCY_OVERFLOW_US } from "../../domain/latency-histogram.ts";
import { REPORT_BUCKET_MS } from "./ledger-writes.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export { REPORT_BUCKET_MS };
export const HOUR_MS = 3_600_000;

const latencyBucket = (column: string): string =>
  `CASE ${LATENCY_BOUNDS_US.map((b) => `WHEN ${column} <= ${b} THEN ${b}`).join(" ")} ELSE ${LATENCY_OVERFLOW_US} END`;

/** The rollups recounted from the raw rows, in the tables' column order. */
export const ROLLUP_RECOUNT = {
  postbacks: `SELECT operator_id, program_id, hour_at, outcome, code, latency_le_us, COUNT(*) AS count FROM (
      SELECT COALESCE(r.operator_id, 0) AS operator_id, COALESCE(r.program_id, c.program_id, 0) AS program_id,
        r.received_at - r.received_at % ${HOUR_MS} AS hour_at,
        r.outcome,
        CASE WHEN r.outcome = 'unattributed' THEN COALESCE(c.unattributed_reason, r.code) ELSE r.code END AS code,
        ${latencyBucket("r.latency_us")} AS latency_le_us
      FROM request_log r LEFT JOIN conversions c ON c.id = r.conversion_id
    ) x GROUP BY operator_id, program_id, hour_at, outcome, code, latency_le_us`,
  activity: `SELECT affiliate_id, program_id, bucket_at, event, currency, SUM(n) AS count,
      SUM(amount_minor) AS amount_minor FROM (
      SELECT affiliate_id, program_id, occurred_at - occurred_at % ${REPORT_BUCKET_MS} AS bucket_at, event,
        COALESCE(currency, '') AS currency, 1 AS n, COALESCE(amount_minor, 0) AS amount_minor
      FROM conversions WHERE affiliate_id IS NOT NULL AND test = 0
      UNION ALL
      SELECT affiliate_id, program_id, created_at - created_at % ${REPORT_BUCKET_MS}, 'click', '', 1, 0
      FROM clicks
    ) x GROUP BY affiliate_id, program_id, bucket_at, event, currency`,
  deliveries: `SELECT program_id, hour_at, class, COUNT(*) AS count FROM (
      SELECT COALESCE(c.program_id, 0) AS program_id, d.created_at - d.created_at % ${HOUR_MS} AS hour_at,
        CASE WHEN d.state = 'delivered' THEN 'ok' WHEN d.state = 'dead' THEN 'dead' WHEN d.last_error IS NOT NULL THEN 'failing' ELSE 'waiting' END AS class
      FROM deliveries d LEFT JOIN conversions c ON c.id = d.conversion_id
    ) x WHERE class <> 'waiting' GROUP BY program_id, hour_at, class`,
} as const;

const COLUMNS = {
  postback_rollup: "operator_id, program_id, hour_at, outcome, code, latency_le_us, count",
  report_activity: "affiliate_id, program_id, bucket_at, event, currency, count, amount_minor",
  delivery_rollup: "program_id, hour_at, class, count",
} as const;

/**
 * Recomputes the rollups of the request log, conversions, clicks and deliveries from the raw rows
 * (after rows were written around their writers: seeding). What the raw rows no longer hold
 * (pruned) is lost, so a running service never needs this.
 */
export async function rebuildRollups(db: SqlExecutor): Promise<void> {
  for (const [table, recount] of [
    ["postback_rollup", ROLLUP_RECOUNT.postbacks],
    ["report_activity", ROLLUP_RECOUNT.activity],
    ["delivery_rollup", ROLLUP_RECOUNT.deliveries],
  ] as const) {
    await db.run(`DELETE FROM ${table}`);
    // Deltas not folded yet are in the recount too.
    if (table === "report_activity") await db.run("DELETE FROM report_activity_delta");
    await db.run(`INSERT INTO ${table} (${COLUMNS[table]}) ${recount}`);
  }
}
