/**
 * SQLite over Node's built-in `node:sqlite`: opens the one connection with its settings (WAL
 * journal, `synchronous=FULL` so a committed transaction is fsync-durable) and, when asked, the
 * background checkpointer. The driver itself is sqlite-serial-driver.ts.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { startCheckpointer } from "./checkpointer.ts";
import { SqliteDriver, type SqliteDriverHandle } from "./sqlite-serial-driver.ts";

export type { SqliteDriverHandle } from "./sqlite-serial-driver.ts";

export interface SqliteOptions {
  /** `FULL` (default) fsyncs every commit; `NORMAL` may lose the last commits on power loss. */
  readonly synchronous?: "FULL" | "NORMAL";
  /**
   * Checkpoint the WAL in a worker thread this often instead of inside commits (checkpointer.ts).
   * Unset: SQLite's own automatic checkpoints. Ignored for `:memory:`.
   */
  readonly checkpointIntervalMs?: number;
  /** With the worker: restart the WAL once it holds this many bytes (default 32 MiB; tests set less). */
  readonly walRestartBytes?: number;
  /** The checkpoint worker failed and commits checkpoint again (for the service's log). */
  readonly onCheckpointFailure?: (reason: string) => void;
  /** Page cache of the connection, KiB (default 16 MiB). */
  readonly cacheKib?: number;
  /** Another connection (the service's checkpointer) checkpoints: none inside this one's commits. */
  readonly checkpointedElsewhere?: boolean;
}

/** A WAL larger than this is truncated back to it when it restarts (after a full checkpoint). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** The checkpoint worker restarts the WAL at this size, before the file would have to grow. */
const WAL_RESTART_BYTES = WAL_SIZE_LIMIT_BYTES / 2;

export function openSqlite(file: string, options: SqliteOptions = {}): SqliteDriverHandle {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${options.synchronous ?? "FULL"}`);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA temp_store = MEMORY");
  // 16 MiB of page cache: the hot path works at the right edge of its indexes; reads at size walk
  // pages the OS caches anyway. 64 MiB added ~45 MB of resident memory after one long export
  // (bench/README.md, "Memory").
  db.exec(`PRAGMA cache_size = -${options.cacheKib ?? 16384}`);
  if (options.checkpointedElsewhere) db.exec("PRAGMA wal_autocheckpoint = 0");
  const driver = new SqliteDriver(
    db,
    file === ":memory:" ? undefined : path.dirname(path.resolve(file)),
    options.synchronous ?? "FULL",
  );
  if (options.checkpointIntervalMs !== undefined && file !== ":memory:") {
    db.exec("PRAGMA wal_autocheckpoint = 0");
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    driver.checkpointer = startCheckpointer(path.resolve(file), {
      intervalMs: options.checkpointIntervalMs,
      restartBytes: options.walRestartBytes ?? WAL_RESTART_BYTES,
      // Back to checkpoints inside commits: slower at times, never unbounded WAL growth.
      onFailure: (reason) => {
        driver.restoreAutocheckpoint();
        options.onCheckpointFailure?.(reason);
      },
    });
  }
  return driver;
}
