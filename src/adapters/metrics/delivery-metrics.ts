/** Delivery metrics (prom-client): attempts by result, outcomes, latency, and the due backlog. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { DeliveryState } from "../../app/delivery/outbox-port.ts";
import type { SendResult } from "../../app/delivery/sender-port.ts";

export interface DeliveryMetrics {
  /** Counts one attempt: its result and what became of the delivery. */
  observe(result: SendResult, state: DeliveryState): void;
}

/**
 * Registers the delivery metrics on `registry`; `backlog` gives the due, unsent deliveries at
 * scrape time (NaN while the database is away: the other metrics still answer).
 */
export function registerDeliveryMetrics(registry: Registry, backlog: () => Promise<number>): DeliveryMetrics {
  const registers = [registry];
  const attempts = new Counter({
    name: "postwire_delivery_attempts_total",
    help: "Outbound postback attempts by result (ok or the error).",
    labelNames: ["result"] as const,
    registers,
  });
  const outcomes = new Counter({
    name: "postwire_delivery_outcomes_total",
    help: "What each attempt left the delivery as: delivered, retry or dead.",
    labelNames: ["outcome"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "postwire_delivery_latency_seconds",
    help: "Duration of outbound postback attempts.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  new Gauge({
    name: "postwire_delivery_due_backlog",
    help: "Deliveries due and not yet sent (active endpoints).",
    registers,
    async collect() {
      this.set(await backlog().catch(() => Number.NaN));
    },
  });
  return {
    observe(result, state) {
      attempts.inc({ result: result.ok ? "ok" : (result.error ?? "http_error") });
      outcomes.inc({ outcome: state === "pending" ? "retry" : state });
      latency.observe(result.latencyMs / 1000);
    },
  };
}
