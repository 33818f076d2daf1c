/** Drops the rollup triggers of 012_rollups.sql, for measuring ingest without them (bench only). */
import { openDriver } from "../src/adapters/storage/open-store.ts";

const TRIGGERS = [
  ["request_log_rollup", "request_log"],
  ["conversions_report", "conversions"],
  ["clicks_report", "clicks"],
  ["deliveries_rollup_insert", "deliveries"],
  ["deliveries_rollup_update", "deliveries"],
] as const;

/** Drops them all, or only those named in ROLLUP_TRIGGERS_DROPPED (comma-separated; to see each one's cost). */
export async function dropRollupTriggers(databaseUrl: string): Promise<void> {
  const only = process.env["ROLLUP_TRIGGERS_DROPPED"]?.split(",");
  const db = openDriver(databaseUrl);
  try {
    for (const [name, table] of TRIGGERS.filter(([name]) => !only || only.includes(name)))
      await db.run(db.engine === "postgres" ? `DROP TRIGGER ${name} ON ${table}` : `DROP TRIGGER ${name}`);
  } finally {
    await db.close();
  }
}
