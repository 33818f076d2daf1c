/** Opens the store named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
import type { Store } from "../../app/ports.ts";
import { type DriverOptions, openDriver } from "./open-driver.ts";
import type { SqlDriver } from "./sql-driver.ts";
import { createSqlStore, type SqlStoreOptions } from "./sql-store.ts";

export interface StoreOptions extends SqlStoreOptions, DriverOptions {
  /** Wraps the driver the store runs on (bench/without-rollups.ts measures the service without rollups). */
  readonly wrapDriver?: (driver: SqlDriver) => SqlDriver;
}

export function openStore(databaseUrl: string, options: StoreOptions = {}): Store {
  const driver = openDriver(databaseUrl, options);
  return createSqlStore(options.wrapDriver ? options.wrapDriver(driver) : driver, options);
}
