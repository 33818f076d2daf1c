/** One transaction on the SQLite connection; the caller holds the driver's lock. */
import type { DatabaseSync } from "node:sqlite";
import { guarded } from "./sqlite-executor.ts";

/**
 * BEGIN IMMEDIATE, `work`, COMMIT (ROLLBACK when it throws). Not durable (and the connection's
 * commits are FULL): the commit runs with synchronous=NORMAL, so in WAL mode it is not synced
 * itself; the next FULL commit (or checkpoint) syncs the WAL it is in.
 */
export async function runTransaction<T>(
  db: DatabaseSync,
  work: () => T | Promise<T>,
  options: { readonly durable: boolean; readonly synchronous: "FULL" | "NORMAL" },
): Promise<T> {
  if (options.durable || options.synchronous === "NORMAL") return transactionBody(db, work);
  db.exec("PRAGMA synchronous = NORMAL");
  try {
    return await transactionBody(db, work);
  } finally {
    db.exec(`PRAGMA synchronous = ${options.synchronous}`);
  }
}

async function transactionBody<T>(db: DatabaseSync, work: () => T | Promise<T>): Promise<T> {
  guarded(() => db.exec("BEGIN IMMEDIATE"));
  try {
    const result = await work();
    guarded(() => db.exec("COMMIT"));
    return result;
  } catch (error) {
    // A failed COMMIT may leave the transaction open (SQLITE_BUSY); a full disk may fail the
    // ROLLBACK too, which SQLite then completes itself: the original error is the one to report.
    try {
      if (db.isTransaction) db.exec("ROLLBACK");
    } catch {}
    throw error;
  }
}
