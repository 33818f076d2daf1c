/** Drops the rollup triggers of 012_rollups.sql, for measuring ingest without them (bench only). */
import { openDriver } from "../src/adapters/storage/open-store.ts";

const TRIGGERS = [
  ["request_log_rollup", "request_log"],
  ["conversions_report", "conversions"],
  ["clicks_report", "clicks"],
  ["deliveries_rollup_insert", "deliveries"],
  ["deliveries_rollup_update", "deliveries"],
] as const;

export async function dropRollupTriggers(databaseUrl: string): Promise<void> {
  const db = openDriver(databaseUrl);
  try {
    for (const [name, table] of TRIGGERS)
      await db.run(db.engine === "postgres" ? `DROP TRIGGER ${name} ON ${table}` : `DROP TRIGGER ${name}`);
  } finally {
    await db.close();
  }
}
