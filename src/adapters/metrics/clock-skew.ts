/**
 * Clock skew of signed postbacks: each verified signature carries the sender's time (`ts`,
 * `webhook-timestamp`); its difference from this server's clock is kept over the last requests.
 * When the median stays far from zero (a minute by default) the server's clock is probably wrong
 * (senders' clocks rarely all drift the same way): a warning is logged, and repeated while it
 * lasts, well before the 5-minute tolerance turns every postback into `401 signature_expired`.
 * Exposed as Prometheus metrics on the service's registry.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { SIGNATURE_TOLERANCE_SECONDS } from "../../domain/signing.ts";

export interface SkewLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface ClockSkewOptions {
  readonly log: SkewLog;
  /** Milliseconds now (the service's clock), for spacing repeated warnings. */
  readonly now: () => number;
  /** Verified signatures the median is taken over (default 100). */
  readonly window?: number;
  /** Fewer samples than this say nothing (default 20). */
  readonly minSamples?: number;
  /** A median this far from zero, either way, is a skew worth a warning (default 60 s). */
  readonly warnAtSeconds?: number;
  /** While the skew lasts, the warning is repeated this often (default 10 minutes). */
  readonly repeatMs?: number;
  /** Where its metrics register. */
  readonly registry: Registry;
}

export interface ClockSkewMonitor {
  /** One verified signature: the sender's time minus ours, in seconds. */
  observe(skewSeconds: number, operatorId: number): void;
}

/** The median of `values` (undefined when empty). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function createClockSkewMonitor(options: ClockSkewOptions): ClockSkewMonitor {
  const window = options.window ?? 100;
  const minSamples = options.minSamples ?? 20;
  const warnAt = options.warnAtSeconds ?? 60;
  const repeatMs = options.repeatMs ?? 600_000;
  const skews: number[] = [];
  const operators: number[] = [];
  let next = 0;
  let observed = 0;
  let warnedAt: number | undefined;

  /** Sorting the window on every postback would cost the hot path: judged every few samples. */
  const judge = () => {
    const middle = median(skews);
    if (middle === undefined || skews.length < minSamples) return;
    if (Math.abs(middle) >= warnAt) {
      const now = options.now();
      if (warnedAt !== undefined && now - warnedAt < repeatMs) return;
      warnedAt = now;
      options.log.warn(
        {
          medianSkewSeconds: middle,
          samples: skews.length,
          operators: new Set(operators).size,
          toleranceSeconds: SIGNATURE_TOLERANCE_SECONDS,
        },
        `signed postbacks arrive ${Math.abs(middle)} s ${middle > 0 ? "ahead of" : "behind"} this server's clock: if several operators agree, this server's clock is probably wrong (check NTP); beyond ${SIGNATURE_TOLERANCE_SECONDS} s they are refused as signature_expired`,
      );
    } else if (warnedAt !== undefined) {
      warnedAt = undefined;
      options.log.info({ medianSkewSeconds: middle }, "signed postbacks' clock skew is small again");
    }
  };

  const registers = [options.registry];
  new Gauge({
    name: "postwire_signature_clock_skew_seconds",
    help: "Median of the sender's signed time minus this server's clock over the last verified signatures (NaN before any); far from 0 for every operator means this server's clock is probably wrong.",
    registers,
    collect() {
      this.set(median(skews) ?? Number.NaN);
    },
  });
  new Gauge({
    name: "postwire_signature_clock_skew_samples",
    help: "Verified signatures the median is taken over.",
    registers,
    collect() {
      this.set(skews.length);
    },
  });
  const expiredValid = new Counter({
    name: "postwire_signature_expired_valid_total",
    help: "Postbacks refused as signature_expired whose signature was otherwise valid (a clock off by more than the tolerance).",
    registers,
  });

  return {
    observe(skewSeconds, operatorId) {
      skews[next] = skewSeconds;
      operators[next] = operatorId;
      next = (next + 1) % window;
      observed++;
      if (Math.abs(skewSeconds) > SIGNATURE_TOLERANCE_SECONDS) expiredValid.inc();
      if (observed % 10 === 0) judge();
    },
  };
}
