/**
 * Opens the SQL driver named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. Apart from
 * open-store.ts so a worker thread that needs only a connection (files/comparison-worker.ts) does
 * not load the whole store.
 */
import { openPostgres } from "./postgres/postgres-driver.ts";
import type { SqlDriver } from "./sql-driver.ts";
import { openSqlite } from "./sqlite/sqlite-driver.ts";

export interface DriverOptions {
  readonly sqliteSynchronous?: "FULL" | "NORMAL";
  /** WAL checkpoints in a worker thread this often (see sqlite/checkpointer.ts); unset: inside commits. */
  readonly sqliteCheckpointIntervalMs?: number;
  /** The checkpoint worker failed; SQLite checkpoints inside commits again. */
  readonly onSqliteCheckpointFailure?: (reason: string) => void;
  /** SQLite page cache of the connection, KiB (default 16 MiB). */
  readonly sqliteCacheKib?: number;
  /** Another connection checkpoints (the service's checkpoint worker): none inside this one's commits. */
  readonly sqliteCheckpointedElsewhere?: boolean;
  readonly postgresPoolSize?: number;
  /** Deadline of one PostgreSQL statement (postgres-driver.ts). */
  readonly postgresQueryTimeoutMs?: number;
  /** A PostgreSQL connection failed (it is replaced): for the service's log. */
  readonly onPostgresConnectionError?: (error: Error) => void;
}

/** `options` without its undefined members (the drivers' options are exact optional properties). */
function defined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** The SQL driver named by DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
export function openDriver(databaseUrl: string, options: DriverOptions = {}): SqlDriver {
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
      cacheKib: options.sqliteCacheKib,
      checkpointedElsewhere: options.sqliteCheckpointedElsewhere,
    });
    return openSqlite(databaseUrl.slice("sqlite:".length), driverOptions);
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
}
