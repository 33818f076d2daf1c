/**
 * A driver that writes no rollups (012_rollups.sql), for measuring ingest without them in the same
 * run (bench/ingest-core.ts --rollups both): the rollup parts of every insert are left out, and the
 * delivery rollup's triggers are dropped. Bench only. `oneSlot` writes them all in slot 0, as
 * before 019_rollup_slots.sql, for comparing slots with one row per key in the same run.
 */
import type { InsertPart, SqlDriver, SqlExecutor } from "../src/adapters/storage/sql-driver.ts";

export const ROLLUP_TABLES = [
  "postback_rollup",
  "report_activity",
  "report_activity_delta",
  "report_commissions",
  "delivery_rollup",
];
const ROLLUPS: ReadonlySet<string> = new Set(ROLLUP_TABLES);

/** `driver` with every part of its inserts (its transactions' too) passed through `change` first. */
function changingParts(driver: SqlDriver, change: (part: InsertPart) => InsertPart): SqlDriver {
  const wrap = (db: SqlExecutor): SqlExecutor => ({
    all: (sql, params) => db.all(sql, params),
    run: (sql, params) => db.run(sql, params),
    insertMany: async (table, columns, rows, options) => {
      const changed = change({ table, columns, rows, ...options });
      return changed.rows.length ? db.insertMany(table, columns, changed.rows, options) : [];
    },
    insertAll: (parts) => db.insertAll(parts.map(change)),
  });
  return {
    ...wrap(driver),
    engine: driver.engine,
    transaction: (work, options) => driver.transaction((tx) => work(wrap(tx)), options),
    migrate: () => driver.migrate(),
    checkWritable: () => driver.checkWritable(),
    close: () => driver.close(),
  };
}

/** Every rollup row in slot 0 (rows are summed per key before the slot is added: still one per key). */
export function oneSlot(driver: SqlDriver): SqlDriver {
  return changingParts(driver, (part) => {
    const at = part.columns.indexOf("slot");
    if (!ROLLUPS.has(part.table) || at < 0) return part;
    return { ...part, rows: part.rows.map((row) => row.map((v, i) => (i === at ? 0 : v))) };
  });
}

/** Drops the delivery rollup's triggers (once per database, after its migrations). */
export async function dropRollupTriggers(driver: SqlDriver): Promise<void> {
  const triggers = ["deliveries_rollup_insert", "deliveries_rollup_update"];
  for (const name of triggers)
    await driver.run(
      driver.engine === "postgres" ? `DROP TRIGGER ${name} ON deliveries` : `DROP TRIGGER ${name}`,
    );
}

/**
 * `driver` with the rollup parts of every insert left out (with dropRollupTriggers: no rollups), or
 * only those of `tables` (one rollup at a time: what each costs).
 */
export function skippingRollups(driver: SqlDriver, tables: ReadonlySet<string> = ROLLUPS): SqlDriver {
  return changingParts(driver, (part) => (tables.has(part.table) ? { ...part, rows: [] } : part));
}

export async function withoutRollups(driver: SqlDriver): Promise<SqlDriver> {
  await dropRollupTriggers(driver);
  return skippingRollups(driver);
}
