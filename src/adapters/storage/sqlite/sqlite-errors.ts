/**
 * node:sqlite failures as the store's errors (app/storage-errors.ts), as on PostgreSQL: unique
 * violations become `UniqueViolationError`, refused row data `UnstorableDataError`, and a database
 * that cannot be written or read now (disk full, read-only, I/O error, locked, closed)
 * `StorageUnavailableError`. Result codes: https://www.sqlite.org/rescode.html
 */
import { StorageUnavailableError, UnstorableDataError } from "../../../app/storage-errors.ts";
import { UniqueViolationError } from "../sql-driver.ts";

/** SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY: "UNIQUE constraint failed: t.a, t.b". */
const UNIQUE_ERRCODES = new Set([2067, 1555]);
/** BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB (primary codes). */
const UNAVAILABLE = new Set([5, 6, 7, 8, 10, 11, 13, 14, 15, 26]);
/** TOOBIG, CONSTRAINT (other than unique), MISMATCH, RANGE. */
const DATA = new Set([18, 19, 20, 25]);

/** What the driver throws once its connection is closed (shutdown): unavailable, like a lost server. */
export class DatabaseClosedError extends StorageUnavailableError {
  constructor() {
    super("sqlite: the database is closed", undefined);
  }
}

export function translated(error: unknown): unknown {
  const { errcode, message } = error as { errcode?: number; message?: string };
  if (errcode === undefined) return error;
  if (UNIQUE_ERRCODES.has(errcode)) {
    const qualified = /constraint failed: (.+)$/.exec(message ?? "")?.[1]?.split(", ") ?? [];
    const columns = qualified.map((name) => name.slice(name.indexOf(".") + 1));
    return new UniqueViolationError(qualified[0]?.split(".")[0], columns, error);
  }
  // Extended result codes carry the primary code in their low byte.
  const primary = errcode & 0xff;
  if (UNAVAILABLE.has(primary)) return new StorageUnavailableError(`sqlite ${errcode}: ${message}`, error);
  if (DATA.has(primary)) return new UnstorableDataError(`sqlite ${errcode}: ${message}`, error);
  return error;
}
