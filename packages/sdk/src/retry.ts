/**
 * When to retry a postback and how long to wait (docs/integration.md §9): only where a retry can
 * help — no answer, 408, 429 and 5xx — never a permanent 4xx, which an unchanged retry repeats.
 */

/** Statuses worth another attempt with the same txid: timeouts, overload, server faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface Backoff {
  /** Upper bound of the first retry's wait, in ms; it doubles with each retry. Default 500. */
  readonly baseMs?: number;
  /** Cap of the upper bound, in ms. Default 30 000. */
  readonly maxMs?: number;
}

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(maxMs, baseMs·2^retry)), where
 * `retry` counts from 0 and `random()` is in [0, 1). Full jitter spreads a fleet's retries instead
 * of having them return in step.
 */
export function backoffMs(retry: number, random: () => number, backoff: Backoff = {}): number {
  const ceiling = Math.min(backoff.maxMs ?? 30_000, (backoff.baseMs ?? 500) * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The `Retry-After` header as a wait in ms from `nowMs`: delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3). A date in the past is 0; absent or unreadable is undefined.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
