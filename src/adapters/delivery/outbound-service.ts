/**
 * Outbound postbacks as the service runs them (DESIGN §4), wired from the configuration: the
 * outbox effect of the ingest transaction, the dispatcher, the admin API's seams, the metrics.
 */

import type { Registry } from "prom-client";
import { EndpointCache } from "../../app/delivery/endpoint-cache.ts";
import { createApprovalForwarder } from "../../app/delivery/forward-approvals.ts";
import { createOutboundEffect } from "../../app/delivery/outbound-effect.ts";
import type { ConversionEffect } from "../../app/ingest/ingest-port.ts";
import type { Clock, Ids, Store } from "../../app/ports.ts";
import { parseEgressAllowlist } from "../../domain/egress.ts";
import { nextAttemptAt } from "../../domain/retry-schedule.ts";
import { registerDeliveryMetrics } from "../metrics/delivery-metrics.ts";
import { createDispatcher, newWorkerId } from "./dispatcher.ts";
import { createEgressGuard } from "./egress-guard.ts";
import { createHttpSender } from "./http-sender.ts";

/** The settings it reads (config.ts documents each; main.ts passes the Config). */
export interface OutboundSettings {
  readonly deliveryAllow: readonly string[];
  readonly deliveryConcurrency: number;
  readonly deliveryPerEndpoint: number;
  readonly deliveryPerEndpointMax: number;
  readonly deliveryTimeoutMs: number;
  readonly deliveryLeaseMs: number;
  readonly dispatchIntervalMs: number;
  readonly endpointFailureThreshold: number;
}

/** Outbound postbacks (DESIGN §4): the outbox effect, the dispatcher, the admin seams, metrics. */
export function createOutbound(
  config: OutboundSettings,
  store: Store,
  clock: Clock,
  ids: Ids,
  registry: Registry,
  onError: (error: unknown) => void,
) {
  const allow = parseEgressAllowlist(config.deliveryAllow, "DELIVERY_ALLOW");
  const guard = createEgressGuard(allow.ok ? { allow: allow.value } : {});
  // A socket per delivery the dispatcher may have in flight: none waits in the agent's queue.
  const sender = createHttpSender({ guard, maxSocketsPerOrigin: config.deliveryConcurrency });
  const endpointCache = new EndpointCache(clock);
  const metrics = registerDeliveryMetrics(registry, () => store.deliveries.dueBacklog(clock.now()));
  const timeout = config.deliveryTimeoutMs;
  const sendOptions = {
    connectTimeoutMs: Math.min(5000, timeout),
    responseTimeoutMs: timeout,
    deadlineMs: timeout,
  };
  const deliver = {
    store: store.deliveries,
    sender,
    clock,
    ids,
    schedule: (attempt: number, now: number, retryAfter: number | null) =>
      nextAttemptAt(attempt, now, Math.random, retryAfter),
    sendOptions,
    failureThreshold: config.endpointFailureThreshold,
    workerId: newWorkerId(),
    onAttempt: metrics.observe,
  };
  const dispatcher = createDispatcher(deliver, {
    concurrency: config.deliveryConcurrency,
    perEndpoint: config.deliveryPerEndpoint,
    perEndpointMax: config.deliveryPerEndpointMax,
    intervalMs: config.dispatchIntervalMs,
    leaseMs: config.deliveryLeaseMs,
    releaseAtStart: store.engine === "sqlite",
    // Approvals made later by the hold job are forwarded from the ledger (idempotent per process).
    forward: createApprovalForwarder({ store: store.deliveries, clock, ids }).tick,
    forwardIntervalMs: Math.max(config.dispatchIntervalMs, 1000),
    onError,
  });
  // Deliveries go out as soon as their batch commits, not at the next poll.
  const effect: ConversionEffect = createOutboundEffect({
    cache: endpointCache,
    clock,
    ids,
    onQueued: (endpoints) => dispatcher.nudge(endpoints),
  });
  return {
    effect,
    dispatcher,
    sender,
    routes: { guard, sender, endpointCache, sendOptions },
  };
}
