/** Postback counts summed into outcomes, rejection rate and latency percentiles (a window or an hour). */
import { percentileOf } from "../../domain/latency-histogram.ts";
import type { RequestOutcome } from "../../domain/request-outcome.ts";
import type { PostbackCount } from "./stats-port.ts";

export interface OutcomeSummary {
  readonly accepted: number;
  readonly unattributed: number;
  readonly test: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly total: number;
  /** Rejected over all requests (0 when none). */
  readonly rejectionRate: number;
  /** Latency percentiles in µs, each the upper bound of its histogram bucket (null without requests). */
  readonly p50Us: number | null;
  readonly p95Us: number | null;
  readonly p99Us: number | null;
}

export function summarise(rows: Iterable<PostbackCount>): OutcomeSummary {
  const counts: Record<RequestOutcome, number> = {
    accepted: 0,
    unattributed: 0,
    test: 0,
    duplicate: 0,
    rejected: 0,
  };
  const histogram = new Map<number, number>();
  for (const row of rows) {
    counts[row.outcome] += row.count;
    histogram.set(row.latencyLeUs, (histogram.get(row.latencyLeUs) ?? 0) + row.count);
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    ...counts,
    total,
    rejectionRate: total === 0 ? 0 : counts.rejected / total,
    p50Us: percentileOf(histogram, 0.5),
    p95Us: percentileOf(histogram, 0.95),
    p99Us: percentileOf(histogram, 0.99),
  };
}

/** Rows grouped by a key, in first-seen order. */
export function groupBy<T, K>(rows: Iterable<T>, key: (row: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}
