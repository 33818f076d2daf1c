/**
 * Alert rules (DESIGN §5: "alerts before anyone notices by hand"), pure: each takes the figures
 * the evaluator read and answers whether its alert fires, with the figures it shows.
 *
 * - Silence, learned by hour of week: an operator's usual rate for each of the 168 hours of the
 *   week, from its own recent weeks. While no postback arrives, the postbacks the usual rates would
 *   have brought during the gap add up; the alert fires once that expectation reaches
 *   SILENCE_EXPECTED (with Poisson arrivals, a gap with no postback where about 7 were expected
 *   happens by chance less than once in a thousand: e^-6.9 ≈ 0.001), and never before the gap is
 *   `minGapMs` long. A quiet night expects little, so it does not fire; the same gap at the
 *   operator's busy hour does.
 * - Rejection rate: rejected ÷ all postbacks over the window, from `minCount` postbacks on.
 * - Unattributed rate jump: unattributed ÷ accepted over the window against the same share over the
 *   baseline period: fires when it is both `jump` (absolute) above and twice the baseline.
 * - Endpoint failing: an active endpoint whose attempts have all failed for `failingMs`; and an
 *   endpoint disabled automatically (while it stays disabled).
 */

export const HOURS_PER_WEEK = 168;
const HOUR_MS = 3_600_000;
const WEEK_MS = HOURS_PER_WEEK * HOUR_MS;
/** Postbacks the usual rates must have expected during a silence before it alerts (see above). */
export const SILENCE_EXPECTED = 6.9;
/** A silence shorter than this never alerts, whatever the configuration says. */
export const SILENCE_FLOOR_MS = 10 * 60_000;

/** The hour of the week of a time (0 = Monday 00:00–01:00 UTC … 167 = Sunday 23:00–24:00 UTC). */
export function hourOfWeek(at: number): number {
  // 1970-01-01 was a Thursday: shift so that Monday 00:00 UTC is hour 0.
  const hours = Math.floor(at / HOUR_MS) + 3 * 24;
  return ((hours % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
}

/** Postbacks counted in one UTC hour (its start, epoch ms). */
export interface HourCount {
  readonly hour: number;
  readonly count: number;
}

/**
 * The usual rate (postbacks per hour) of each hour of the week, from the hours counted in
 * [from, to): the mean over the weeks the period covers for that hour (hours with no row count 0).
 */
export function weeklyRates(counts: readonly HourCount[], from: number, to: number): number[] {
  const sums = new Array<number>(HOURS_PER_WEEK).fill(0);
  const seen = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (let hour = Math.ceil(from / HOUR_MS) * HOUR_MS; hour + HOUR_MS <= to; hour += HOUR_MS)
    seen[hourOfWeek(hour)]!++;
  for (const c of counts) if (c.hour >= from && c.hour + HOUR_MS <= to) sums[hourOfWeek(c.hour)]! += c.count;
  return sums.map((sum, i) => (seen[i]! ? sum / seen[i]! : 0));
}

/** Postbacks the rates expect in [from, to), partial hours pro rata. */
export function expectedBetween(rates: readonly number[], from: number, to: number): number {
  if (to <= from) return 0;
  if (to - from > 4 * WEEK_MS) return Number.POSITIVE_INFINITY;
  let expected = 0;
  for (let at = from; at < to; ) {
    const hourEnd = (Math.floor(at / HOUR_MS) + 1) * HOUR_MS;
    const end = Math.min(hourEnd, to);
    expected += rates[hourOfWeek(at)]! * ((end - at) / HOUR_MS);
    at = end;
  }
  return expected;
}

export interface SilenceInput {
  /** The operator's last postback (any outcome), or null when none is stored. */
  readonly lastPostbackAt: number | null;
  readonly now: number;
  /** weeklyRates() of the operator's recent weeks. */
  readonly rates: readonly number[];
  /** The configured minimum gap (never below SILENCE_FLOOR_MS). */
  readonly minGapMs: number;
}

export interface Verdict {
  readonly firing: boolean;
  /** When the condition began (for a firing alert). */
  readonly since: number;
  readonly figures: Readonly<Record<string, number | string | null>>;
}

export function silence(input: SilenceInput): Verdict {
  const { lastPostbackAt, now } = input;
  if (lastPostbackAt === null) return { firing: false, since: now, figures: { last_postback_at: null } };
  const gapMs = Math.max(0, now - lastPostbackAt);
  const expected = expectedBetween(input.rates, lastPostbackAt, now);
  const firing = gapMs >= Math.max(SILENCE_FLOOR_MS, input.minGapMs) && expected >= SILENCE_EXPECTED;
  return {
    firing,
    since: lastPostbackAt,
    figures: {
      last_postback_at: new Date(lastPostbackAt).toISOString(),
      silent_minutes: Math.floor(gapMs / 60_000),
      expected_postbacks: Math.round(expected * 10) / 10,
      usual_per_hour_now: Math.round(input.rates[hourOfWeek(now)]! * 10) / 10,
    },
  };
}

export interface RateInput {
  readonly part: number;
  readonly whole: number;
  readonly threshold: number;
  readonly minCount: number;
  readonly windowStart: number;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const rounded = (rate: number) => Math.round(rate * 1000) / 1000;

/** Rejected ÷ all postbacks of the window, from `minCount` postbacks on. */
export function rejectionRate(input: RateInput): Verdict {
  const rate = ratio(input.part, input.whole);
  return {
    firing: input.whole >= input.minCount && rate >= input.threshold,
    since: input.windowStart,
    figures: {
      rejected: input.part,
      postbacks: input.whole,
      rate: rounded(rate),
      threshold: input.threshold,
    },
  };
}

export interface JumpInput {
  readonly unattributed: number;
  readonly accepted: number;
  readonly baselineUnattributed: number;
  readonly baselineAccepted: number;
  /** How far (absolute share) above the baseline fires, e.g. 0.2. */
  readonly jump: number;
  readonly minCount: number;
  readonly windowStart: number;
}

/** The window's unattributed share against the baseline's: at least `jump` above and twice it. */
export function unattributedJump(input: JumpInput): Verdict {
  const rate = ratio(input.unattributed, input.accepted);
  const baseline = ratio(input.baselineUnattributed, input.baselineAccepted);
  return {
    firing: input.accepted >= input.minCount && rate >= baseline + input.jump && rate >= 2 * baseline,
    since: input.windowStart,
    figures: {
      unattributed: input.unattributed,
      accepted: input.accepted,
      rate: rounded(rate),
      baseline_rate: rounded(baseline),
    },
  };
}

export interface EndpointInput {
  readonly status: "active" | "disabled";
  /** First failed attempt of the current run of failures; null when the last attempt succeeded. */
  readonly failingSince: number | null;
  readonly consecutiveFailures: number;
  readonly disabledReason: string | null;
  readonly disabledAt: number | null;
  readonly now: number;
  readonly failingMs: number;
}

/** Failing for `failingMs` while active. */
export function endpointFailing(input: EndpointInput): Verdict {
  const since = input.failingSince ?? input.now;
  return {
    firing: input.status === "active" && input.failingSince !== null && input.now - since >= input.failingMs,
    since,
    figures: {
      failing_minutes: input.failingSince === null ? 0 : Math.floor((input.now - since) / 60_000),
      consecutive_failures: input.consecutiveFailures,
    },
  };
}

/** Disabled automatically (a reason recorded by the dispatcher), until re-enabled. */
export function endpointDisabled(input: EndpointInput): Verdict {
  return {
    firing: input.status === "disabled" && input.disabledReason !== null && input.disabledAt !== null,
    since: input.disabledAt ?? input.now,
    figures: { reason: input.disabledReason, consecutive_failures: input.consecutiveFailures },
  };
}
