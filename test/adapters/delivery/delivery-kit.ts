/**
 * Helpers for the outbound-delivery tests: a real receiver on 127.0.0.1 that answers from a script
 * (fail, then succeed…) and records every hit, and a dispatcher over a test store with an
 * injected clock and the real HTTP sender (egress allowlist: 127.0.0.1).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { createDispatcher, type Dispatcher } from "../../../src/adapters/delivery/dispatcher.ts";
import { createEgressGuard } from "../../../src/adapters/delivery/egress-guard.ts";
import { createHttpSender, type HttpSender } from "../../../src/adapters/delivery/http-sender.ts";
import type { DeliverDeps, RetrySchedule } from "../../../src/app/delivery/deliver-postback.ts";
import type { NewEndpoint } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { parseEgressAllowlist } from "../../../src/domain/egress.ts";
import { nextAttemptAt } from "../../../src/domain/retry-schedule.ts";
import { decodeSecret, signWebhook } from "../../../src/domain/signing.ts";
import { PATIENCE_MS, until } from "../../helpers/until.ts";

export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** performance.now() when the whole request had arrived. */
  readonly at: number;
}

/** What to answer: a status (and headers), or "hang" to hold the request until closed. */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | "hang";

export interface Receiver {
  readonly url: string;
  readonly hits: Hit[];
  /** Answers in order; the last repeats. */
  script: Reply[];
  close(): Promise<void>;
}

export async function startReceiver(script: Reply[] = [{ status: 200 }]): Promise<Receiver> {
  const hits: Hit[] = [];
  const receiver: Receiver = { url: "", hits, script, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      hits.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      });
      const reply = receiver.script[Math.min(hits.length - 1, receiver.script.length - 1)]!;
      if (reply === "hang") return;
      const answer = () => {
        response.writeHead(reply.status, reply.headers ?? {});
        response.end(reply.body ?? "ok");
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Asserts the hit carries the Standard Webhooks signature of its id, timestamp and body under `secret`. */
export function assertSignedWith(secret: string, hit: Hit): void {
  const key = decodeSecret(secret);
  assert.ok(key.ok, "a valid secret");
  const expected = signWebhook(
    key.value,
    String(hit.headers["webhook-id"]),
    String(hit.headers["webhook-timestamp"]),
    hit.body,
  );
  assert.equal(hit.headers["webhook-signature"], expected, "signed as Standard Webhooks");
}

/** A signing secret in Standard Webhooks form. */
export const TEST_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** An active GET endpoint for `created` messages, no filters, no delay; `patch` changes any field. */
export function endpointInput(affiliateId: number, patch: Partial<NewEndpoint> = {}): NewEndpoint {
  return {
    affiliateId,
    name: "test",
    urlTemplate: "https://a.example/pb?id={delivery_id}",
    method: "GET",
    events: [],
    programIds: [],
    statuses: ["created"],
    delaySeconds: 0,
    includeTest: false,
    secret: TEST_SECRET,
    status: "active",
    ...patch,
  };
}

export { until } from "../../helpers/until.ts";

/**
 * Resolves once every outbox row of the conversion is delivered: each was sent and answered (a
 * receiver records its hit before it answers), so the receivers now hold all they will get for it.
 */
export function allDelivered(store: Store, conversionId: string): Promise<true> {
  return until(
    async () => (await store.deliveries.list({ conversionId })).every((d) => d.state === "delivered"),
    `every delivery of ${conversionId} to be sent`,
  );
}

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 2, 1)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

export function testSender(): HttpSender {
  const allow = parseEgressAllowlist(["127.0.0.1"], "allow");
  if (!allow.ok) throw new Error(allow.error.message);
  return createHttpSender({ guard: createEgressGuard({ allow: allow.value }) });
}

/** The real schedule without jitter (random = 0.5). */
export const steadySchedule: RetrySchedule = (attempt, now, retryAfter) =>
  nextAttemptAt(attempt, now, () => 0.5, retryAfter);

export function testDispatcher(
  store: Store,
  clock: TestClock,
  sender: HttpSender,
  overrides: Partial<DeliverDeps> & {
    perEndpoint?: number;
    perEndpointMax?: number;
    concurrency?: number;
  } = {},
): Dispatcher {
  const deps: DeliverDeps = {
    store: store.deliveries,
    sender,
    clock,
    ids: createIds(clock),
    schedule: steadySchedule,
    // Receivers answer at once (or hang on purpose, where a test sets its own limits).
    sendOptions: { connectTimeoutMs: PATIENCE_MS, responseTimeoutMs: PATIENCE_MS, deadlineMs: PATIENCE_MS },
    failureThreshold: 0,
    workerId: `w-${Math.random().toString(36).slice(2, 8)}`,
    ...overrides,
  };
  return createDispatcher(deps, {
    concurrency: overrides.concurrency ?? 8,
    perEndpoint: overrides.perEndpoint ?? 4,
    perEndpointMax: overrides.perEndpointMax ?? overrides.perEndpoint ?? 4,
    intervalMs: 20,
    leaseMs: 60_000,
    releaseAtStart: false,
  });
}
