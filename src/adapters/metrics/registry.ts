/**
 * The Prometheus registries behind GET /metrics (prom-client): the process's own metrics (CPU,
 * memory, heap, event-loop delay, GC, handles) once per process, since they describe the process
 * however many services it runs (the tests run several), and one registry per service for
 * Postwire's metrics (`postwire_*`). A scrape renders both.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

let processRegistry: Registry | undefined;

/** The registry of process and Node.js runtime metrics, created (and collecting) on first use. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    // Event-loop delay sampled every 20 ms (prom-client's default is 10): enough for p99 lag.
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 20 });
  }
  return processRegistry;
}

export interface ServiceMetrics {
  /** Where a service's own metrics register. */
  readonly registry: Registry;
  /** The Prometheus text exposition of the process's and the service's metrics. */
  render(): Promise<string>;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
}

export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  const process = processMetrics();
  return {
    registry,
    contentType: registry.contentType,
    render: async () => `${await process.metrics()}\n${await registry.metrics()}`,
  };
}
