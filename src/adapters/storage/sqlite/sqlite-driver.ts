/**
 * SQLite over Node's built-in `node:sqlite`. One connection, WAL journal, `synchronous=FULL` so a
 * committed transaction is fsync-durable. The API is synchronous, so every operation is serialised
 * through an async lock: an open transaction never sees statements of another caller.
 */
import { mkdirSync } from "node:fs";
import { statfs } from "node:fs/promises";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StorageUnavailableError } from "../../../app/storage-errors.ts";
import { MIGRATIONS_TABLE_SQL, readMigrations } from "../migration-files.ts";
import {
  conflictClause,
  type InsertOptions,
  type InsertPart,
  PROBE_WRITE_SQL,
  type SqlDriver,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  type TransactionOptions,
  valuesList,
} from "../sql-driver.ts";
import { type Checkpointer, type CheckpointStats, startCheckpointer } from "./checkpointer.ts";
import { DatabaseClosedError, translated } from "./sqlite-errors.ts";

const MIGRATIONS_DIR = path.join(import.meta.dirname, "migrations");

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
}

/** SQLite's default automatic checkpoint threshold, in WAL pages. */
const AUTOCHECKPOINT_PAGES = 1000;
/** A WAL larger than this is truncated back to it when it restarts (after a full checkpoint). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** The checkpoint worker restarts the WAL at this size, before the file would have to grow. */
const WAL_RESTART_BYTES = WAL_SIZE_LIMIT_BYTES / 2;

/** The SQLite driver, plus what its background checkpointer has done (undefined: none runs). */
export interface SqliteDriverHandle extends SqlDriver {
  checkpointStats(): CheckpointStats | undefined;
}

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
  db.exec("PRAGMA cache_size = -16384");
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

/** Runs a synchronous statement, reporting its failures as the store's errors (sqlite-errors.ts). */
function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw translated(error);
  }
}

class SqliteExecutor implements SqlExecutor {
  protected readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  protected statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size > 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  allSync(sql: string, params: readonly SqlValue[] = []): SqlRow[] {
    return guarded(() => this.statement(sql).all(...params) as SqlRow[]);
  }

  runSync(sql: string, params: readonly SqlValue[] = []): number {
    return guarded(() => Number(this.statement(sql).run(...params).changes));
  }

  insertManySync(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options: InsertOptions = {},
  ): SqlValue[] {
    if (rows.length === 0) return [];
    const insert = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${valuesList(1, columns.length)}${conflictClause(table, options)}`;
    const returning = options.returning;
    // One prepared single-row statement run N times beats re-preparing N-row statements here.
    const out: SqlValue[] = [];
    // Returning a column we insert ourselves: run() and its change count say whether the row went
    // in (no triggers here), without RETURNING, which makes SQLite build a result row each time.
    const given = returning ? columns.indexOf(returning) : -1;
    if (!returning || given >= 0) {
      const statement = this.statement(insert);
      guarded(() => {
        for (const row of rows) {
          const changed = Number(statement.run(...row).changes) === 1;
          if (changed && returning) out.push(row[given] ?? null);
        }
      });
      return out;
    }
    const statement = this.statement(`${insert} RETURNING ${returning}`);
    guarded(() => {
      for (const row of rows) {
        const inserted = statement.get(...row) as SqlRow | undefined;
        if (inserted) out.push(inserted[returning] ?? null);
      }
    });
    return out;
  }

  insertAllSync(parts: readonly InsertPart[]): SqlValue[][] {
    return parts.map((part) => this.insertManySync(part.table, part.columns, part.rows, part));
  }

  async all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.allSync(sql, params);
  }
  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.runSync(sql, params);
  }
  async insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options?: InsertOptions,
  ): Promise<SqlValue[]> {
    return this.insertManySync(table, columns, rows, options);
  }
  async insertAll(parts: readonly InsertPart[]): Promise<SqlValue[][]> {
    return this.insertAllSync(parts);
  }
}

/**
 * Below this much free space on the database's file system, SQLite's writes fail or succeed by
 * chance (a commit that fits in pages the WAL reuses goes through, one that must grow a file
 * does not): readiness says not ready rather than let the write probe pass by luck.
 */
export const SQLITE_MIN_FREE_BYTES = 1024 * 1024;

class SqliteDriver extends SqliteExecutor implements SqliteDriverHandle {
  readonly engine = "sqlite" as const;
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The folder of the database file (undefined: in memory). */
  private readonly folder: string | undefined;
  checkpointer: Checkpointer | undefined;

  /** The synchronous setting of durable commits (bookkeeping transactions lower it for theirs). */
  private readonly synchronous: "FULL" | "NORMAL";

  constructor(db: DatabaseSync, folder: string | undefined, synchronous: "FULL" | "NORMAL") {
    super(db);
    this.folder = folder;
    this.synchronous = synchronous;
  }

  async checkWritable(): Promise<void> {
    if (this.folder !== undefined) {
      const fs = await statfs(this.folder);
      const free = fs.bavail * fs.bsize;
      if (free < SQLITE_MIN_FREE_BYTES)
        throw new StorageUnavailableError(
          `sqlite: ${free} bytes free on the database's file system`,
          undefined,
        );
    }
    await this.run(PROBE_WRITE_SQL, [String(Date.now())]);
  }

  checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.stats();
  }

  restoreAutocheckpoint(): void {
    void this.serial(() => this.db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)).catch(
      () => undefined,
    );
  }

  /** Runs `task` after every earlier task has settled. */
  private serial<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.lock.then(() => {
      if (this.closed) throw new DatabaseClosedError();
      return task();
    });
    this.lock = result.catch(() => undefined);
    return result;
  }

  override all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.serial(() => this.allSync(sql, params));
  }
  override run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.serial(() => this.runSync(sql, params));
  }
  /** One statement per row here: a transaction makes them all-or-nothing, as on PostgreSQL. */
  override insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options?: InsertOptions,
  ): Promise<SqlValue[]> {
    return this.inTransaction(() => this.insertManySync(table, columns, rows, options));
  }
  override insertAll(parts: readonly InsertPart[]): Promise<SqlValue[][]> {
    return this.inTransaction(() => this.insertAllSync(parts));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // The transaction executor skips the lock: we already hold it.
    return this.inTransaction(() => work(new UnlockedExecutor(this)), options.durable ?? true);
  }

  /** `work` under the lock in one transaction: committed when it returns, rolled back when it throws. */
  private inTransaction<T>(work: () => T | Promise<T>, durable = true): Promise<T> {
    if (!durable && this.synchronous !== "NORMAL")
      return this.serial(async () => {
        // In WAL mode a NORMAL commit is not synced; the next FULL commit syncs the WAL it is in.
        this.db.exec("PRAGMA synchronous = NORMAL");
        try {
          return await this.transactionBody(work);
        } finally {
          this.db.exec(`PRAGMA synchronous = ${this.synchronous}`);
        }
      });
    return this.serial(() => this.transactionBody(work));
  }

  /** BEGIN, `work`, COMMIT (ROLLBACK when it throws); the caller holds the lock. */
  private async transactionBody<T>(work: () => T | Promise<T>): Promise<T> {
    guarded(() => this.db.exec("BEGIN IMMEDIATE"));
    try {
      const result = await work();
      guarded(() => this.db.exec("COMMIT"));
      return result;
    } catch (error) {
      // A failed COMMIT may leave the transaction open (SQLITE_BUSY); a full disk may fail the
      // ROLLBACK too, which SQLite then completes itself: the original error is the one to report.
      try {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
      } catch {}
      throw error;
    }
  }

  migrate(): Promise<number[]> {
    return this.serial(() => {
      this.db.exec(MIGRATIONS_TABLE_SQL);
      const applied: number[] = [];
      for (const migration of readMigrations(MIGRATIONS_DIR)) {
        this.db.exec("BEGIN IMMEDIATE");
        try {
          // Checked under the write lock: another process sharing the file may have just applied it.
          const done = this.allSync("SELECT version FROM schema_migrations WHERE version = ?", [
            migration.version,
          ]).length;
          if (!done) {
            this.db.exec(migration.sql);
            this.runSync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
              migration.version,
              migration.name,
              Date.now(),
            ]);
            applied.push(migration.version);
          }
          this.db.exec("COMMIT");
        } catch (error) {
          if (this.db.isTransaction) this.db.exec("ROLLBACK");
          throw error;
        }
      }
      return applied;
    });
  }

  async close(): Promise<void> {
    // The worker's connection closes first, so ours is the last and checkpoints what is left.
    await this.checkpointer?.stop();
    return this.serial(() => {
      this.closed = true;
      this.db.close();
    });
  }
}

/** Executes directly on a driver whose lock the caller already holds. */
class UnlockedExecutor implements SqlExecutor {
  private readonly inner: SqliteExecutor;
  constructor(inner: SqliteExecutor) {
    this.inner = inner;
  }
  async all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.inner.allSync(sql, params);
  }
  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.inner.runSync(sql, params);
  }
  async insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options?: InsertOptions,
  ): Promise<SqlValue[]> {
    return this.inner.insertManySync(table, columns, rows, options);
  }
  async insertAll(parts: readonly InsertPart[]): Promise<SqlValue[][]> {
    return this.inner.insertAllSync(parts);
  }
}
