/** Opens the store named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
import type { Store } from "../../app/ports.ts";
import { type DriverOptions, openDriver } from "./open-driver.ts";
import { createSqlStore, type SqlStoreOptions } from "./sql-store.ts";

export { openDriver } from "./open-driver.ts";

export interface StoreOptions extends SqlStoreOptions, DriverOptions {}

export function openStore(databaseUrl: string, options: StoreOptions = {}): Store {
  return createSqlStore(openDriver(databaseUrl, options), options);
}
