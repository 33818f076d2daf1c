/** JSON answers of the postback endpoint: always a stable `code`; errors name the field. */
import { ERRORS, type ErrorCode, type Failure } from "../domain/errors.ts";

export interface PostbackAnswer {
  readonly status: number;
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
  const body: Record<string, string> = { code: failure.code, message };
  if (failure.field !== undefined) body["field"] = failure.field;
  const status = entry.status;
  return retryAfter === undefined
    ? { status, body: JSON.stringify(body) }
    : { status, body: JSON.stringify(body), retryAfter };
}

export function errorAnswer(code: ErrorCode, message?: string, retryAfter?: number): PostbackAnswer {
  const entry = ERRORS[code];
  return failureAnswer(
    { code, message: entry.expose ? (message ?? entry.message) : entry.message },
    retryAfter,
  );
}
