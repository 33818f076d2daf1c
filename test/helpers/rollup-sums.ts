/** The rollups as stored, for comparing with their recounts (rollups.ts ROLLUP_RECOUNT). */
import type { SqlRow } from "../../src/adapters/storage/sql-driver.ts";

/**
 * The stored rollups, each key summed over its slots (019_rollup_slots.sql); report activity over
 * the folded rows and the deltas not folded yet (023_report_activity_delta.sql).
 */
export const STORED_ROLLUPS = {
  postbacks: `SELECT operator_id, program_id, hour_at, outcome, code, latency_le_us, SUM(count) AS count
    FROM postback_rollup GROUP BY operator_id, program_id, hour_at, outcome, code, latency_le_us`,
  activity: `SELECT affiliate_id, program_id, bucket_at, event, currency, SUM(count) AS count,
    SUM(amount_minor) AS amount_minor FROM (
      SELECT affiliate_id, program_id, bucket_at, event, currency, count, amount_minor FROM report_activity
      UNION ALL
      SELECT affiliate_id, program_id, bucket_at, event, currency, count, amount_minor FROM report_activity_delta
    ) x GROUP BY affiliate_id, program_id, bucket_at, event, currency`,
} as const;

/** Rows as sorted lines of text (pg returns sums as strings). */
export function lines(rows: readonly SqlRow[]): string[] {
  return rows
    .map((r) =>
      Object.keys(r)
        .sort()
        .map((k) => `${k}=${String(r[k])}`)
        .join(" "),
    )
    .sort();
}
