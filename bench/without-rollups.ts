/**
 * A driver that writes no rollups (012_rollups.sql), for measuring ingest without them in the same
 * run (bench/ingest-core.ts --rollups both): the rollup parts of every insert are left out, and the
 * delivery rollup's triggers are dropped. Bench only.
 */
import type { SqlDriver, SqlExecutor } from "../src/adapters/storage/sql-driver.ts";

const ROLLUPS = new Set(["postback_rollup", "report_activity", "report_commissions", "delivery_rollup"]);

function filtered<T extends SqlExecutor>(db: T): SqlExecutor {
  return {
    all: (sql, params) => db.all(sql, params),
    run: (sql, params) => db.run(sql, params),
    insertMany: async (table, columns, rows, options) =>
      ROLLUPS.has(table) ? [] : db.insertMany(table, columns, rows, options),
    insertAll: async (parts) => {
      const kept = parts.map((part) => (ROLLUPS.has(part.table) ? { ...part, rows: [] } : part));
      return db.insertAll(kept);
    },
  };
}

export async function withoutRollups(driver: SqlDriver): Promise<SqlDriver> {
  const triggers = ["deliveries_rollup_insert", "deliveries_rollup_update"];
  for (const name of triggers)
    await driver.run(
      driver.engine === "postgres" ? `DROP TRIGGER ${name} ON deliveries` : `DROP TRIGGER ${name}`,
    );
  return {
    ...filtered(driver),
    engine: driver.engine,
    transaction: (work, options) => driver.transaction((tx) => work(filtered(tx)), options),
    migrate: () => driver.migrate(),
    checkWritable: () => driver.checkWritable(),
    close: () => driver.close(),
  };
}
