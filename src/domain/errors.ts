/**
 * The error catalogue: every error Postwire answers with has a stable snake_case `code`,
 * an HTTP status and a default message. Documented one entry per code in docs/errors.md.
 * `expose: false` means the message is never sent to the client (internal failures).
 */
export const ERRORS = {
  // 400 — bad input
  invalid_request: { status: 400, message: "The request is malformed.", expose: true },
  missing_field: { status: 400, message: "A required field is missing.", expose: true },
  invalid_field: { status: 400, message: "A field has an invalid value.", expose: true },
  ambiguous_parameter: { status: 400, message: "A parameter was given more than once.", expose: true },
  invalid_amount: { status: 400, message: "The amount is not an exact decimal string.", expose: true },
  amount_precision: {
    status: 400,
    message: "The amount has more decimals than its currency allows.",
    expose: true,
  },
  unknown_currency: { status: 400, message: "The currency is not an ISO 4217 code.", expose: true },
  currency_mismatch: {
    status: 400,
    message: "The currency does not match the original event.",
    expose: true,
  },
  invalid_lots: { status: 400, message: "The lots value is not a valid decimal.", expose: true },
  invalid_timestamp: { status: 400, message: "The timestamp is not ISO 8601 or unix seconds.", expose: true },
  unknown_event_type: { status: 400, message: "The event type is not known for this program.", expose: true },
  unknown_program: { status: 400, message: "The program could not be determined.", expose: true },
  reverses_not_found: { status: 400, message: "The event named in `reverses` was not found.", expose: true },
  reversal_exceeds_original: {
    status: 400,
    message: "The reversal exceeds what remains of the original.",
    expose: true,
  },
  invalid_reversal: { status: 400, message: "This event cannot be reversed.", expose: true },
  invalid_json: { status: 400, message: "The body is not valid JSON.", expose: true },
  validation_failed: { status: 400, message: "The request body failed validation.", expose: true },
  invalid_encoding: {
    status: 400,
    message: "The file is not valid UTF-8; export it as UTF-8 and upload it again.",
    expose: true,
  },
  // 401 — authentication
  missing_signature: { status: 401, message: "The request is not signed.", expose: true },
  invalid_signature: { status: 401, message: "The signature does not match.", expose: true },
  signature_expired: {
    status: 401,
    message: "The signature timestamp is outside the 5 minute tolerance.",
    expose: true,
  },
  invalid_token: { status: 401, message: "The static token is missing or wrong.", expose: true },
  unauthorized: { status: 401, message: "A valid API key is required.", expose: true },
  // 403
  ip_not_allowed: {
    status: 403,
    message: "The client address is not in the operator's allowlist.",
    expose: true,
  },
  forbidden: { status: 403, message: "This API key may not do that.", expose: true },
  csrf_rejected: {
    status: 403,
    message: "The form's CSRF token is missing or wrong; reload the page and try again.",
    expose: true,
  },
  operator_disabled: { status: 403, message: "The operator is disabled.", expose: true },
  // 404
  unknown_operator: { status: 404, message: "No operator has this key.", expose: true },
  not_found: { status: 404, message: "Not found.", expose: true },
  link_not_found: { status: 404, message: "This tracking link does not exist or is paused.", expose: true },
  // 405, 409, 413, 415
  method_not_allowed: { status: 405, message: "Method not allowed.", expose: true },
  txid_conflict: { status: 409, message: "This txid was already used with different content.", expose: true },
  conflict: { status: 409, message: "The resource conflicts with an existing one.", expose: true },
  payload_too_large: { status: 413, message: "The request body is too large.", expose: true },
  unsupported_media_type: { status: 415, message: "Use JSON, form or query parameters.", expose: true },
  // 429 / 5xx
  overloaded: { status: 429, message: "Too many requests in flight; retry later.", expose: true },
  too_many_attempts: {
    status: 429,
    message: "Too many failed sign-ins from this address; wait and try again.",
    expose: true,
  },
  storage_unavailable: { status: 503, message: "Storage is unavailable; retry later.", expose: true },
  request_timeout: { status: 408, message: "The request took too long to arrive.", expose: true },
  internal_error: { status: 500, message: "Internal error.", expose: false },
} as const satisfies Record<string, { status: number; message: string; expose: boolean }>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** An expected failure with a catalogue code; `field` names the offending input where there is one. */
export class PostwireError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  constructor(code: ErrorCode, message?: string, field?: string) {
    super(message ?? ERRORS[code].message);
    this.name = "PostwireError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.field = field;
  }
}

/** A failure as a value: what domain functions return instead of throwing. */
export interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string;
  /** Facts that help the sender fix the request (answered as `diagnostics`, kept in the log). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, message?: string, field?: string): Result<T> => ({
  ok: false,
  error:
    field === undefined
      ? { code, message: message ?? ERRORS[code].message }
      : { code, message: message ?? ERRORS[code].message, field },
});
