/**
 * When to try an outbound postback again (DESIGN §4): at about +0, 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h and 10 h, then dead letter. Pure: time and randomness are passed in.
 *
 * - Jitter: each delay is multiplied by a factor uniform in [0.8, 1.2) (±20 %), so deliveries that
 *   failed together (a receiver outage) do not all come back in the same second.
 * - Retry-After (seconds) only ever postpones: the delay is the larger of the jittered schedule and
 *   Retry-After, so a receiver answering "Retry-After: 1" cannot make us burn the whole attempt
 *   budget in seconds. It is capped at the scheduled delay + 1 h (`MAX_RETRY_AFTER_EXTRA_MS`), so
 *   "Retry-After: 31536000" cannot park a delivery for a year; never sooner than 1 s.
 */

/** Delay before attempt n+1 (index n); index 0 is the first attempt, sent at once. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** Attempts before a delivery is dead-lettered. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;

/** Relative jitter: delays vary by ± this fraction. */
export const JITTER = 0.2;

/** No retry is scheduled sooner than this. */
export const MIN_RETRY_DELAY_MS = 1_000;

/** How far beyond the scheduled delay a Retry-After answer may push the next attempt. */
export const MAX_RETRY_AFTER_EXTRA_MS = 3_600_000;

/**
 * The time of the next attempt (ms since the epoch), or null when the delivery is to be
 * dead-lettered. `attempt` is the number of attempts made so far (≥ 1); `random` returns [0, 1);
 * `retryAfterSeconds` is the parsed Retry-After of the last answer, if any.
 */
export function nextAttemptAt(
  attempt: number,
  now: number,
  random: () => number,
  retryAfterSeconds: number | null,
): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be ≥ 1, got ${attempt}`);
  const scheduled = RETRY_SCHEDULE_MS[attempt];
  if (scheduled === undefined) return null;
  let delay = scheduled * (1 - JITTER + 2 * JITTER * random());
  if (retryAfterSeconds !== null && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0) {
    const cap = Math.max(delay, scheduled + MAX_RETRY_AFTER_EXTRA_MS);
    delay = Math.min(Math.max(delay, retryAfterSeconds * 1000), cap);
  }
  return now + Math.round(Math.max(delay, MIN_RETRY_DELAY_MS));
}

const DELTA_SECONDS = /^\d+$/;
const HTTP_DATE_START = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i;

/**
 * Parse a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as whole seconds
 * from `nowMs` (a past date gives 0). null when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds : null;
  }
  // Every HTTP-date form starts with a weekday; Date.parse alone accepts far too much ("1.5").
  if (!HTTP_DATE_START.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
