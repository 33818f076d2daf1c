/**
 * PostgreSQL and `pg` failures as the store's errors (app/storage-errors.ts): unique violations
 * become `UniqueViolationError` as on SQLite, bad row data `UnstorableDataError`, and everything
 * that says the database or the connection to it is not there `StorageUnavailableError`.
 * SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import pg from "pg";
import { StorageUnavailableError, UnstorableDataError } from "../../../app/storage-errors.ts";
import { UniqueViolationError } from "../sql-driver.ts";

const UNIQUE_VIOLATION = "23505";

/**
 * Server errors that mean "not now": connection exceptions (08), insufficient resources such as a
 * full disk or too many connections (53), operator intervention such as a shutdown, a restart or a
 * statement timeout (57), system I/O errors (58), a read-only transaction (25006, a standby or
 * default_transaction_read_only), idle-in-transaction timeout (25P03), transaction rollbacks
 * such as serialization failures and deadlocks (40), and a connection refused for its credentials
 * (28) or database (3D000, dropped or not yet created): each may succeed when tried again later.
 */
function unavailableCode(code: string): boolean {
  const cls = code.slice(0, 2);
  return (
    cls === "08" ||
    cls === "53" ||
    cls === "57" ||
    cls === "58" ||
    cls === "40" ||
    cls === "28" ||
    code === "3D000" ||
    code === "25006" ||
    code === "25P03" ||
    code === "55P03"
  );
}

/** Data exceptions (22: a NUL byte in text, a value out of range) and integrity violations (23). */
const dataCode = (code: string): boolean => code.startsWith("22") || code.startsWith("23");

/** The server answered with an SQL error: the connection itself is still in a known state. */
export const isServerError = (error: unknown): error is pg.DatabaseError => error instanceof pg.DatabaseError;

/**
 * Whether the store error `error` (as `translated` made it) says its connection is gone or in an
 * unknown state: lost, timed out on the client, or terminated by the server (08, 57P01-57P04).
 * Errors of the work itself (a lost race, bad data, a statement timeout on the server) leave the
 * connection able to roll back.
 */
export function connectionBroken(error: unknown): boolean {
  if (!(error instanceof StorageUnavailableError)) return false;
  if (!isServerError(error.cause)) return true;
  const code = error.cause.code ?? "";
  return code.startsWith("08") || code.startsWith("57P");
}

/** A failure of `pg` as the store reports it. Errors already translated pass through. */
export function translated(error: unknown): unknown {
  if (
    error instanceof UniqueViolationError ||
    error instanceof StorageUnavailableError ||
    error instanceof UnstorableDataError
  )
    return error;
  if (!isServerError(error)) {
    // No SQLSTATE: the socket, the pool or a client-side timeout ("Connection terminated
    // unexpectedly", ECONNREFUSED, "Query read timeout", "timeout exceeded when trying to connect").
    const message = (error as Error | undefined)?.message ?? String(error);
    return new StorageUnavailableError(`postgres: ${message}`, error);
  }
  const code = error.code ?? "";
  if (code === UNIQUE_VIOLATION) {
    const columns = /^Key \(([^)]*)\)=/.exec(error.detail ?? "")?.[1]?.split(", ") ?? [];
    return new UniqueViolationError(error.table, columns, error);
  }
  if (unavailableCode(code)) return new StorageUnavailableError(`postgres ${code}: ${error.message}`, error);
  if (dataCode(code)) return new UnstorableDataError(`postgres ${code}: ${error.message}`, error);
  return error;
}

/**
 * A failed COMMIT. The server refusing it (a serialization failure, a deferred constraint) means
 * rolled back; losing the connection, a timeout or a shutdown while it ran means the outcome is
 * unknown: the commit may have been durable before the answer was lost.
 */
export function commitFailure(error: unknown): unknown {
  const code = isServerError(error) ? (error.code ?? "") : "";
  const refused = code.startsWith("40") || dataCode(code);
  if (refused) return translated(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  return new StorageUnavailableError(`postgres: COMMIT outcome unknown (${message})`, error, true);
}
