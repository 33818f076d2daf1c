/** JSON answers of the postback endpoint: always a stable `code`; errors name the field. */
import { ERRORS, type ErrorCode, type Failure } from "../../domain/errors.ts";

export interface PostbackAnswer {
  readonly status: number;
  /** The body's `code` (accepted, duplicate, or the error's), for metrics without parsing it. */
  readonly code: string;
  /** An accepted event with no affiliate (unattributed). */
  readonly unattributed?: boolean;
  /** The JSON body, already serialised (a duplicate replays stored text). */
  readonly body: string;
  /** Seconds, for 429 and 503. */
  readonly retryAfter?: number;
  /** The original answer given again for a repeated txid (`Idempotent-Replayed: true`). */
  readonly replayed?: boolean;
}

export function failureAnswer(failure: Failure, retryAfter?: number): PostbackAnswer {
  const entry = ERRORS[failure.code];
  // An internal failure's own message may name internals: only the catalogue's is sent.
  const message = entry.expose ? failure.message : entry.message;
  const body: Record<string, unknown> = { code: failure.code, message };
  if (failure.field !== undefined) body["field"] = failure.field;
  if (failure.details !== undefined && entry.expose) body["diagnostics"] = failure.details;
  const status = entry.status;
  const code = failure.code;
  return retryAfter === undefined
    ? { status, code, body: JSON.stringify(body) }
    : { status, code, body: JSON.stringify(body), retryAfter };
}

export function errorAnswer(code: ErrorCode, message?: string, retryAfter?: number): PostbackAnswer {
  const entry = ERRORS[code];
  return failureAnswer(
    { code, message: entry.expose ? (message ?? entry.message) : entry.message },
    retryAfter,
  );
}
