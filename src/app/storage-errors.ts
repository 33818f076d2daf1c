/**
 * How a store tells its callers why a database operation failed, the same way on both engines:
 * - `StorageUnavailableError`: the database could not do it for a reason of its own (connection
 *   lost or refused, server restarting, statement timed out, disk full, read-only). Retry later:
 *   the HTTP layer answers `503 storage_unavailable` with `Retry-After`. `commitUnknown` marks the
 *   ambiguous case: the connection was lost after COMMIT was sent, so the transaction may or may
 *   not have committed (an idempotent retry settles it).
 * - `UnstorableDataError`: one row's data cannot be stored (a value the engine refuses). Retrying
 *   the same data fails again; a group commit retries the other items without it.
 * Anything else a store throws is a bug.
 */
import { PostwireError } from "../domain/errors.ts";

/** Seconds a client should wait before retrying when storage is unavailable. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

export class StorageUnavailableError extends PostwireError {
  /** The connection was lost after COMMIT was sent: the transaction's outcome is unknown. */
  readonly commitUnknown: boolean;
  /** Why, for logs; also the error's message (the HTTP layer sends the catalogue's message). */
  readonly reason: string;
  constructor(reason: string, cause: unknown, commitUnknown = false) {
    super("storage_unavailable", reason);
    this.name = "StorageUnavailableError";
    this.reason = reason;
    this.cause = cause;
    this.commitUnknown = commitUnknown;
  }
}

export class UnstorableDataError extends Error {
  constructor(reason: string, cause: unknown) {
    super(reason);
    this.name = "UnstorableDataError";
    this.cause = cause;
  }
}
