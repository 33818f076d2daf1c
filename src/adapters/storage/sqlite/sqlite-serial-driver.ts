/**
 * The SQLite driver over one connection. node:sqlite is synchronous, so every operation is
 * serialised through an async lock: an open transaction never sees statements of another caller.
 */
import { statfs } from "node:fs/promises";
import type { DatabaseSync } from "node:sqlite";
import { StorageUnavailableError } from "../../../app/storage-errors.ts";
import { PROBE_WRITE_SQL, type SqlDriver, type SqlExecutor, type TransactionOptions } from "../sql-driver.ts";
import type { Checkpointer, CheckpointStats } from "./checkpointer.ts";
import { DatabaseClosedError } from "./sqlite-errors.ts";
import { SqliteStatements, unlocked } from "./sqlite-executor.ts";
import { migrateSqlite } from "./sqlite-migrate.ts";
import { runTransaction } from "./sqlite-transaction.ts";

/** SQLite's default automatic checkpoint threshold, in WAL pages. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * Below this much free space on the database's file system, SQLite's writes fail or succeed by
 * chance (a commit that fits in pages the WAL reuses goes through, one that must grow a file
 * does not): readiness says not ready rather than let the write probe pass by luck.
 */
export const SQLITE_MIN_FREE_BYTES = 1024 * 1024;

/** The SQLite driver, plus what its background checkpointer has done (undefined: none runs). */
export interface SqliteDriverHandle extends SqlDriver {
  checkpointStats(): CheckpointStats | undefined;
}

export class SqliteDriver extends SqliteStatements implements SqliteDriverHandle {
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

  all(...args: Parameters<SqlExecutor["all"]>): ReturnType<SqlExecutor["all"]> {
    return this.serial(() => this.allSync(...args));
  }
  run(...args: Parameters<SqlExecutor["run"]>): ReturnType<SqlExecutor["run"]> {
    return this.serial(() => this.runSync(...args));
  }
  /** One statement per row here: a transaction makes them all-or-nothing, as on PostgreSQL. */
  insertMany(...args: Parameters<SqlExecutor["insertMany"]>): ReturnType<SqlExecutor["insertMany"]> {
    return this.inTransaction(() => this.insertManySync(...args));
  }
  insertAll(...args: Parameters<SqlExecutor["insertAll"]>): ReturnType<SqlExecutor["insertAll"]> {
    return this.inTransaction(() => this.insertAllSync(...args));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // The transaction executor skips the lock: we already hold it.
    return this.inTransaction(() => work(unlocked(this)), options.durable ?? true);
  }

  /** `work` under the lock in one transaction: committed when it returns, rolled back when it throws. */
  private inTransaction<T>(work: () => T | Promise<T>, durable = true): Promise<T> {
    return this.serial(() => runTransaction(this.db, work, { durable, synchronous: this.synchronous }));
  }

  migrate(): Promise<number[]> {
    return this.serial(() => migrateSqlite(this.db, this));
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
