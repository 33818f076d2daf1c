/**
 * An online backup of the SQLite database (`postwire backup`), consistent while the service runs.
 * SQLite's backup API copies the pages of one read transaction: in WAL mode the service keeps
 * committing meanwhile (its commits go to the WAL, which the snapshot does not see). The copy is
 * taken in a single step, because a backup copied in several steps starts over whenever another
 * connection commits between two of them, which a busy service does every few milliseconds. The
 * copy is written beside the target and renamed into place once checked, so the target path never
 * holds half a backup.
 */
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { backup, DatabaseSync } from "node:sqlite";

export interface SqliteBackup {
  /** Absolute paths of the database and of the copy. */
  readonly source: string;
  readonly target: string;
  readonly pages: number;
  readonly bytes: number;
}

/** Pages per backup step: more than any database has, so the copy is one step. */
const ONE_STEP = 2 ** 31 - 1;

export async function backupSqlite(file: string, target: string): Promise<SqliteBackup> {
  const source = path.resolve(file);
  const destination = path.resolve(target);
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(destination)) throw new Error(`${destination} exists: choose a new file for each backup`);
  const partial = `${destination}.partial-${process.pid}`;
  const db = new DatabaseSync(source, { timeout: 5000 });
  try {
    const pages = await backup(db, partial, { rate: ONE_STEP });
    const copy = new DatabaseSync(partial);
    try {
      // The copy carries the live database's WAL mode: back to a rollback journal, it is one file
      // alone (no -wal or -shm beside it); the service turns WAL on again when it opens a restore.
      copy.exec("PRAGMA journal_mode = DELETE");
      const [row] = copy.prepare("PRAGMA quick_check").all() as Array<{ quick_check: string }>;
      if (row?.quick_check !== "ok") throw new Error(`the copy fails quick_check: ${row?.quick_check}`);
    } finally {
      copy.close();
    }
    renameSync(partial, destination);
    return { source, target: destination, pages, bytes: statSync(destination).size };
  } catch (error) {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${partial}${suffix}`, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
