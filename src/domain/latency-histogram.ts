/**
 * The ingest latency histogram of the postback rollup (012_rollups.sql): counts by fixed bucket, so
 * percentiles over any set of hours are exact to the bucket. A percentile is reported as the upper
 * bound of its bucket: never below the true value, and at most 1.5x above it from 500 µs to
 * 1.024 s (2x below 500 µs and above 1.024 s).
 */

/** Upper bounds (µs) of the buckets; a latency above the last one counts in `LATENCY_OVERFLOW_US`. */
export const LATENCY_BOUNDS_US = [
  250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 16000, 24000, 32000, 48000, 64000, 96000,
  128000, 192000, 256000, 384000, 512000, 768000, 1024000, 2048000, 4096000, 8192000,
] as const;
export const LATENCY_OVERFLOW_US = Number.MAX_SAFE_INTEGER;

/** The bucket (its upper bound) a latency counts in. */
export function latencyBucketOf(us: number): number {
  for (const bound of LATENCY_BOUNDS_US) if (us <= bound) return bound;
  return LATENCY_OVERFLOW_US;
}

/** The bucket a percentile falls in (its upper bound), from counts by bucket; null without any. */
export function percentileOf(histogram: ReadonlyMap<number, number>, fraction: number): number | null {
  const buckets = [...histogram.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(fraction * total);
  let seen = 0;
  for (const [bound, n] of buckets) {
    seen += n;
    if (seen >= rank) return bound;
  }
  return buckets.at(-1)![0];
}
