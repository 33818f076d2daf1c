/**
 * Pieces of the delivery benchmark (bench/deliveries.ts): the pinned receiver process, the bare
 * keep-alive sender it is compared with, and a Postwire outbox on a fresh SQLite file with a
 * dispatcher wired as src/main.ts wires it (real sender and egress guard, allowlist 127.0.0.1).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createIds, systemClock } from "../src/adapters/clock-and-ids.ts";
import { createDispatcher, type Dispatcher } from "../src/adapters/delivery/dispatcher.ts";
import { createEgressGuard } from "../src/adapters/delivery/egress-guard.ts";
import { createHttpSender, type HttpSender } from "../src/adapters/delivery/http-sender.ts";
import { openStore } from "../src/adapters/storage/open-store.ts";
import type { Endpoint, NewDelivery } from "../src/app/delivery/outbox-port.ts";
import type { Store } from "../src/app/ports.ts";
import { parseEgressAllowlist } from "../src/domain/egress.ts";
import { nextAttemptAt } from "../src/domain/retry-schedule.ts";
import { endpointInput } from "../test/adapters/delivery/delivery-kit.ts";
import { createFixture } from "../test/helpers/service.ts";

export const pin = (pid: number, core: number): void => {
  spawnSync("taskset", ["-a", "-p", "-c", String(core), String(pid)], { stdio: "ignore" });
};

export interface ReceiverProcess {
  readonly url: string;
  stop(): void;
}

export async function startReceiverProcess(core: number): Promise<ReceiverProcess> {
  const file = path.join(import.meta.dirname, "deliveries-receiver.ts");
  const child = spawn("taskset", ["-c", String(core), process.execPath, file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await createInterface({ input: child.stdout! })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value as string]);
  const { port } = JSON.parse(line!) as { port: number };
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

/** The baseline: `n` GETs with a plain keep-alive http.Agent, `concurrency` at a time; returns ms. */
export async function bareSend(url: string, n: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${url}/pb?id=${i}`, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  agent.destroy();
  return ms;
}

export interface Outbox {
  readonly store: Store;
  /** The SQLite file, for counting and latency queries read-only. */
  readonly file: string;
  readonly endpoints: Endpoint[];
  fill(endpoint: Endpoint, count: number, now: number): Promise<void>;
  dispatcher(concurrency: number, perEndpoint: number, timeoutMs: number): Dispatcher;
  close(): Promise<void>;
}

/** A fresh SQLite outbox (synchronous=FULL, as in production) with endpoints at these paths. */
export async function openOutbox(receiverUrl: string, paths: readonly string[]): Promise<Outbox> {
  const dir = mkdtempSync(path.join(tmpdir(), "postwire-bench-deliveries-"));
  const file = path.join(dir, "bench.db");
  const store = openStore(`sqlite:${file}`, { sqliteSynchronous: "FULL", sqliteCheckpointIntervalMs: 200 });
  await store.migrate();
  const fixture = await createFixture(store);
  const endpoints: Endpoint[] = [];
  for (const p of paths) {
    endpoints.push(
      await store.deliveries.endpoints.create(
        endpointInput(fixture.affiliate.id, {
          name: p,
          urlTemplate: `${receiverUrl}${p}?id={delivery_id}&cid={click_id}&p={payout}&st={status}`,
        }),
        Date.now(),
      ),
    );
  }
  const allow = parseEgressAllowlist(["127.0.0.1"], "allow");
  if (!allow.ok) throw new Error(allow.error.message);
  const guard = createEgressGuard({ allow: allow.value });
  const senders: HttpSender[] = [];
  const ids = createIds();
  let serial = 0;
  return {
    store,
    file,
    endpoints,
    async fill(endpoint, count, now) {
      for (let start = 0; start < count; start += 2000) {
        const rows: NewDelivery[] = [];
        for (let i = start; i < Math.min(count, start + 2000); i++) {
          rows.push({
            id: ids.next("dl"),
            endpointId: endpoint.id,
            affiliateId: endpoint.affiliateId,
            conversionId: `cv_bench_${serial++}`,
            status: "created",
            test: false,
            payload: { click_id: "bench-click", payout: "10.00", status: "created", event: "ftd" },
            runAt: now,
          });
        }
        await store.deliveries.enqueue(rows, now);
      }
    },
    dispatcher(concurrency, perEndpoint, timeoutMs) {
      // As src/main.ts: a socket per delivery the dispatcher may have in flight.
      const sender = createHttpSender({ guard, maxSocketsPerOrigin: concurrency });
      senders.push(sender);
      return createDispatcher(
        {
          store: store.deliveries,
          sender,
          clock: systemClock,
          ids,
          schedule: (attempt, now, retryAfter) => nextAttemptAt(attempt, now, Math.random, retryAfter),
          sendOptions: { connectTimeoutMs: timeoutMs, responseTimeoutMs: timeoutMs, deadlineMs: timeoutMs },
          failureThreshold: 0,
          workerId: "bench",
        },
        {
          concurrency,
          perEndpoint,
          perEndpointMax: perEndpoint,
          intervalMs: 5,
          leaseMs: 300_000,
          releaseAtStart: true,
        },
      );
    },
    async close() {
      for (const sender of senders) sender.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
