/**
 * The outbound HTTP port used by the dispatcher (DESIGN §4). The adapter
 * (src/adapters/delivery/http-sender.ts) enforces the SSRF guard, timeouts, no redirects and a
 * bounded response read; the dispatcher decides retries from the result.
 */
export interface OutboundRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  /** POST body (UTF-8); absent for GET. */
  readonly body?: string;
}

/** Why an attempt failed without an HTTP answer, or with one that is not a success. */
const SEND_ERRORS = [
  "blocked_address",
  "invalid_url",
  "dns_failure",
  "connect_timeout",
  "response_timeout",
  "deadline_exceeded",
  "network_error",
  "redirect",
  "http_error",
] as const;
export type SendError = (typeof SEND_ERRORS)[number];

export interface SendResult {
  /** True only for a 2xx answer. */
  readonly ok: boolean;
  /** HTTP status, or null when no answer came. */
  readonly status: number | null;
  readonly error: SendError | null;
  /** Human detail for the attempt log (no secrets). */
  readonly detail: string | null;
  readonly latencyMs: number;
  /** The first bytes of the response body (bounded), as text. */
  readonly responseSnippet: string;
  /** Parsed Retry-After in seconds, when the answer had one. */
  readonly retryAfterSeconds: number | null;
}

export interface SendOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Overall limit for the whole attempt. */
  readonly deadlineMs: number;
}

export interface OutboundSender {
  send(request: OutboundRequest, options: SendOptions): Promise<SendResult>;
}

/** Checks a destination before it is saved and again before each send. */
export interface EgressGuard {
  /** ok, or a reason the URL may not be called (scheme, blocked range, DNS answer in a blocked range). */
  check(url: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
}
