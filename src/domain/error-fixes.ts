/**
 * What to do about each error code: the "Do:" line of its entry in docs/errors.md (test/docs.test.ts
 * keeps the two equal), shown by the console next to a failed request. Markdown `code` spans kept.
 */
import type { ErrorCode } from "./errors.ts";

export const ERROR_FIXES: Readonly<Partial<Record<ErrorCode, string>>> = {
  invalid_request: "fix how the request is built.",
  missing_field: "send the field.",
  invalid_field: "fix the value.",
  ambiguous_parameter: "send each parameter once.",
  invalid_amount: "send digits with an optional `.` and decimals, e.g. `100.50`.",
  amount_precision: "send the amount in the currency's own minor unit.",
  unknown_currency: "send a three-letter code such as `EUR` or `USD`.",
  currency_mismatch: "reverse in the original event's currency.",
  invalid_lots: "send e.g. `0.01` or `1.5`.",
  invalid_timestamp: "send `2026-01-31T12:00:00Z` or `1769860800`, or leave it out (receipt time is used).",
  unknown_event_type: "use an event type of your program, or ask the network to add it.",
  unknown_program: "send one of your program ids, or leave `program_id` out.",
  reverses_not_found:
    "send the original first; if it may still be in your retry queue, retry the reversal after it.",
  reversal_exceeds_original: "reverse at most the remaining amount (the message says how much).",
  invalid_reversal: "reverse the original event; omit `amount` when the original had none.",
  invalid_json: "send a flat JSON object of parameters.",
  validation_failed: "fix the request body; `field` names the property.",
  invalid_encoding:
    "export the file as UTF-8 and upload it again ([reconciliation.md](reconciliation.md#3-reconciling-a-period-step-by-step)).",
  missing_signature: "sign the request ([integration.md \u00a78](integration.md#8-authentication)).",
  invalid_signature:
    "fix the signing code; `postwire postback verify` shows the canonical query and the expected signature for your request, and `postwire postback verify --log-entry rq_… --secret whsec_…` reproduces the service's check of a logged request (the secret stays on your machine).",
  signature_expired: "sync your clock (NTP) and sign every attempt afresh, including retries.",
  invalid_token: "send the configured token (`Authorization: Bearer`, `X-Postwire-Token` or `token`).",
  unauthorized: "send a valid API key.",
  ip_not_allowed: "call from an allowed address, or ask the network to add yours.",
  forbidden: "use a key with the right role.",
  csrf_rejected:
    "reload the page and submit the form again; if it keeps happening, check that the console is reached at `PUBLIC_URL` or at the host its proxy forwards.",
  operator_disabled:
    "ask the network; events sent meanwhile are refused (and logged), so resend them once re-enabled.",
  unknown_operator: "check the URL against the one the network gave you.",
  not_found: "check the URL and the id.",
  link_not_found: "(affiliate) use an active link; (manager) set a fallback URL for paused links.",
  method_not_allowed: "use GET or POST.",
  txid_conflict:
    "do not retry: find out which version is right. Reuse a `txid` only for retries of the same event, and never mint a new one for a retry.",
  conflict:
    "choose another value, or update the existing resource; send a lost rotation or credential change again.",
  payload_too_large: "send a smaller body; a postback needs only a few hundred bytes.",
  unsupported_media_type: "set a supported `Content-Type`.",
  request_timeout: "retry.",
  overloaded: "retry after `Retry-After` seconds, with backoff.",
  too_many_attempts: "wait that long; check the key (`npm run postwire -- keys create` makes a new one).",
  storage_unavailable:
    "retry after `Retry-After` seconds, with backoff; a retry with the same `txid` is safe (it answers `duplicate`, with `Idempotent-Replayed: true`, if the event was recorded after all).",
  internal_error: "retry with backoff; if it persists, tell the network (with the time and `txid`).",
};
