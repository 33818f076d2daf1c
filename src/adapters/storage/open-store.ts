/** Opens the store (or only its SQL driver) named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
import type { Store } from "../../app/ports.ts";
import { openPostgres } from "./postgres/postgres-driver.ts";
import type { SqlDriver } from "./sql-driver.ts";
import { createSqlStore, type SqlStoreOptions } from "./sql-store.ts";
import { openSqlite } from "./sqlite/sqlite-driver.ts";

export interface StoreOptions extends SqlStoreOptions {
  readonly sqliteSynchronous?: "FULL" | "NORMAL";
  /** WAL checkpoints in a worker thread this often (see sqlite/checkpointer.ts); unset: inside commits. */
  readonly sqliteCheckpointIntervalMs?: number;
  /** The checkpoint worker failed; SQLite checkpoints inside commits again. */
  readonly onSqliteCheckpointFailure?: (reason: string) => void;
  readonly postgresPoolSize?: number;
  /** Deadline of one PostgreSQL statement (postgres-driver.ts). */
  readonly postgresQueryTimeoutMs?: number;
  /** A PostgreSQL connection failed (it is replaced): for the service's log. */
  readonly onPostgresConnectionError?: (error: Error) => void;
  /** Wraps the driver the store runs on (bench/without-rollups.ts measures the service without rollups). */
  readonly wrapDriver?: (driver: SqlDriver) => SqlDriver;
}

/** `options` without its undefined members (the drivers' options are exact optional properties). */
function defined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** The SQL driver named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
export function openDriver(databaseUrl: string, options: StoreOptions = {}): SqlDriver {
  if (databaseUrl.startsWith("postgres://") || databaseUrl.startsWith("postgresql://")) {
    return openPostgres(
      databaseUrl,
      defined({
        poolSize: options.postgresPoolSize,
        queryTimeoutMs: options.postgresQueryTimeoutMs,
        onConnectionError: options.onPostgresConnectionError,
      }),
    );
  }
  if (databaseUrl.startsWith("sqlite:")) {
    const driverOptions = defined({
      synchronous: options.sqliteSynchronous,
      checkpointIntervalMs: options.sqliteCheckpointIntervalMs,
      onCheckpointFailure: options.onSqliteCheckpointFailure,
    });
    return openSqlite(databaseUrl.slice("sqlite:".length), driverOptions);
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
}

export function openStore(databaseUrl: string, options: StoreOptions = {}): Store {
  const driver = openDriver(databaseUrl, options);
  return createSqlStore(options.wrapDriver ? options.wrapDriver(driver) : driver, options);
}
