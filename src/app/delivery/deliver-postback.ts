/**
 * Use case: one attempt of one claimed delivery (DESIGN §4). Builds the request (signed anew for a
 * POST), sends it through the OutboundSender (SSRF guard, timeouts, no redirects, bounded read),
 * logs the attempt, and decides: delivered on a 2xx; otherwise the next attempt on the retry
 * schedule (Retry-After honoured within its bounds) or a dead letter after the last. A 410 Gone,
 * or a run of consecutive failures reaching the threshold, disables the endpoint with the reason.
 */
import { storableText, utf8Prefix } from "../../domain/storable-text.ts";
import type { Clock, Ids } from "../ports.ts";
import type {
  AttemptOutcome,
  ClaimedDelivery,
  ClaimedEndpoint,
  DeliveryStore,
} from "./delivery-store-port.ts";
import { buildRequest, redactUrl } from "./outbound-message.ts";
import type { Attempt } from "./outbox-port.ts";
import type { OutboundSender, SendOptions, SendResult } from "./sender-port.ts";

/** When to try again after `attempt` failed attempts, or null when none is left (dead letter). */
export type RetrySchedule = (attempt: number, now: number, retryAfterSeconds: number | null) => number | null;

export interface DeliverDeps {
  readonly store: DeliveryStore;
  readonly sender: OutboundSender;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly schedule: RetrySchedule;
  readonly sendOptions: SendOptions;
  /** Consecutive failed attempts after which an endpoint is disabled (0 = never). */
  readonly failureThreshold: number;
  readonly workerId: string;
  /** Told about every attempt made (metrics). */
  readonly onAttempt?: (result: SendResult, outcome: AttemptOutcome["state"]) => void;
}

/** Bytes of the endpoint's answer kept in the attempt log (docs/outbound.md: the first KB). */
const SNIPPET_BYTES = 1024;

function describe(result: SendResult): string {
  const what = result.status === null ? (result.error ?? "error") : `HTTP ${result.status}`;
  return result.detail ? `${what}: ${result.detail}` : what;
}

function outcomeOf(
  deps: DeliverDeps,
  delivery: ClaimedDelivery,
  result: SendResult,
  now: number,
): AttemptOutcome {
  if (result.ok) {
    return { state: "delivered", runAt: now, lastError: null, lastStatus: result.status, deliveredAt: now };
  }
  const next = deps.schedule(delivery.attempts, now, result.retryAfterSeconds);
  const lastError = describe(result).slice(0, 500);
  if (next === null)
    return { state: "dead", runAt: now, lastError, lastStatus: result.status, deliveredAt: null };
  return { state: "pending", runAt: next, lastError, lastStatus: result.status, deliveredAt: null };
}

/** Counts the attempt against the endpoint and disables it on 410 or a long enough failure run. */
async function judgeEndpoint(deps: DeliverDeps, endpoint: ClaimedEndpoint, result: SendResult, now: number) {
  // A success with no failure run to reset (as of the endpoint read by the claim) writes nothing.
  if (result.ok && endpoint.consecutiveFailures === 0) return;
  const failures = await deps.store.endpoints.recordResult(endpoint.id, result.ok, now);
  if (result.status === 410) {
    await deps.store.endpoints.disable(endpoint.id, "The endpoint answered 410 Gone.", now);
  } else if (!result.ok && deps.failureThreshold > 0 && failures >= deps.failureThreshold) {
    const reason = `${failures} consecutive failed attempts; the last: ${describe(result)}`.slice(0, 500);
    await deps.store.endpoints.disable(endpoint.id, reason, now);
  }
}

/** Sends one attempt of a delivery this worker has claimed, and records how it went. */
export async function deliverPostback(deps: DeliverDeps, delivery: ClaimedDelivery): Promise<void> {
  const { endpoint } = delivery;
  const startedAt = deps.clock.now();
  if (endpoint.status !== "active") {
    // Disabled as the claim read it (PostgreSQL: by another process meanwhile): back to waiting,
    // untouched (pending, not paused: the endpoint may be enabled again before this commits; the
    // claim leaves rows of disabled endpoints alone either way).
    const outcome = {
      state: "pending",
      runAt: startedAt,
      lastError: delivery.lastError,
      lastStatus: delivery.lastStatus,
      deliveredAt: null,
    } as const;
    await deps.store.finish(delivery.id, deps.workerId, outcome, null, startedAt);
    return;
  }
  const request = buildRequest(endpoint, delivery, startedAt);
  const result = await deps.sender.send(request, deps.sendOptions);
  const now = deps.clock.now();
  const outcome = outcomeOf(deps, delivery, result, now);
  const attempt: Attempt = {
    id: deps.ids.next("da"),
    deliveryId: delivery.id,
    endpointId: endpoint.id,
    attempt: delivery.attempts,
    startedAt,
    method: request.method,
    url: redactUrl(request.url),
    httpStatus: result.status,
    latencyMs: result.latencyMs,
    error: result.error,
    detail: result.detail,
    // The endpoint's bytes, in a form every database stores (a NUL would fail the whole batch).
    responseSnippet: storableText(utf8Prefix(result.responseSnippet, SNIPPET_BYTES)),
  };
  await deps.store.finish(delivery.id, deps.workerId, outcome, attempt, now);
  await judgeEndpoint(deps, endpoint, result, now);
  deps.onAttempt?.(result, outcome.state);
}
