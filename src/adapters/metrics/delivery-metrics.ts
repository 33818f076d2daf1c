/**
 * Delivery metrics in the Prometheus text exposition format (version 0.0.4), written by hand: a
 * few counters, one histogram and one gauge do not justify a dependency.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type { DeliveryState } from "../../app/delivery/outbox-port.ts";
import type { SendResult } from "../../app/delivery/sender-port.ts";

/** Seconds. */
const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface DeliveryMetrics {
  /** Counts one attempt: its result and what became of the delivery. */
  observe(result: SendResult, state: DeliveryState): void;
  /** The exposition text; `backlog` gives the due, unsent deliveries at scrape time. */
  render(backlog: () => Promise<number>): Promise<string>;
}

const label = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export function createDeliveryMetrics(): DeliveryMetrics {
  const attempts = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const counts = new Array<number>(BUCKETS.length).fill(0);
  let sum = 0;
  let total = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  return {
    observe(result, state) {
      bump(attempts, result.ok ? "ok" : (result.error ?? "http_error"));
      bump(outcomes, state === "pending" ? "retry" : state);
      const seconds = result.latencyMs / 1000;
      sum += seconds;
      total += 1;
      BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) counts[i]! += 1;
      });
    },
    async render(backlog) {
      // Scraped while the database is away, the other metrics still answer; the backlog is NaN.
      let due = Number.NaN;
      try {
        due = await backlog();
      } catch {}
      const lines = [
        "# HELP postwire_delivery_attempts_total Outbound postback attempts by result (ok or the error).",
        "# TYPE postwire_delivery_attempts_total counter",
        ...[...attempts].map(([k, v]) => `postwire_delivery_attempts_total{result="${label(k)}"} ${v}`),
        "# HELP postwire_delivery_outcomes_total What each attempt left the delivery as: delivered, retry or dead.",
        "# TYPE postwire_delivery_outcomes_total counter",
        ...[...outcomes].map(([k, v]) => `postwire_delivery_outcomes_total{outcome="${label(k)}"} ${v}`),
        "# HELP postwire_delivery_latency_seconds Duration of outbound postback attempts.",
        "# TYPE postwire_delivery_latency_seconds histogram",
        ...BUCKETS.map((b, i) => `postwire_delivery_latency_seconds_bucket{le="${b}"} ${counts[i]}`),
        `postwire_delivery_latency_seconds_bucket{le="+Inf"} ${total}`,
        `postwire_delivery_latency_seconds_sum ${sum}`,
        `postwire_delivery_latency_seconds_count ${total}`,
        "# HELP postwire_delivery_due_backlog Deliveries due and not yet sent (active endpoints).",
        "# TYPE postwire_delivery_due_backlog gauge",
        `postwire_delivery_due_backlog ${due}`,
      ];
      return `${lines.join("\n")}\n`;
    },
  };
}
