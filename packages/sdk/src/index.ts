/**
 * @postwire/sdk — send signed, idempotent postbacks to Postwire from an operator's backend.
 * See README.md; the contract is docs/integration.md of the Postwire repository.
 */
export {
  createPostwireClient,
  type FetchInit,
  type FetchLike,
  POSTWIRE_ERROR_CODES,
  type PostwireClient,
  type PostwireClientOptions,
  PostwireError,
  type PostwireErrorCode,
  type ResponseLike,
  type SendOptions,
  type SendResult,
} from "./client.ts";
export {
  type BaseEvent,
  type CustomEvent,
  type DecimalString,
  type EventFields,
  eventParams,
  InvalidEventError,
  type Money,
  type PostwireEvent,
  RESERVED_PARAMS,
  type StandardEvent,
  type StandardEventName,
  VERTICAL_EVENTS,
  type Vertical,
  type VerticalEventName,
} from "./events.ts";
export { type Backoff, backoffMs, isRetryableStatus, retryAfterMs } from "./retry.ts";
export {
  canonicalQuery,
  createSigner,
  decodeSecret,
  type Pair,
  rfc3986,
  type Signer,
  type SubtleLike,
} from "./signing.ts";
