/**
 * Operations: start-up without deprecation warnings, /healthz and /readyz, structured JSON log
 * lines that carry the request id, and X-Request-Id taken from the client when it is sane.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import { healthRoutes } from "../../../src/adapters/http/routes/health.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture } from "../../helpers/service.ts";
import { ftd, type KitService, signedGet, signedPost, startKitService } from "./postback-kit.ts";

// First in the file: Fastify emits each deprecation once per process.
test("the service starts and serves without any process warning (no FSTDEP023)", {
  timeout: 30_000,
}, async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on("warning", onWarning);
  const k = await startKitService("sqlite");
  try {
    assert.equal((await fetch(`${k.url}/healthz`)).status, 200);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.map((w) => `${w.name}: ${w.message}`),
      [],
    );
  } finally {
    process.off("warning", onWarning);
    await k.close();
  }
});

for (const engine of await availableEngines()) {
  describe(`health, readiness and logs (${engine})`, { timeout: 60_000 }, () => {
    let k: KitService;
    const lines: string[] = [];
    before(async () => {
      k = await startKitService(engine, {
        env: { LOG_LEVEL: "info", BODY_LIMIT_BYTES: "1024" },
        logStream: { write: (line) => void lines.push(line) },
      });
    });
    after(() => k?.close());

    test("/healthz is ok and /readyz names the engine", async () => {
      const health = await fetch(`${k.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal(health.headers.get("cache-control"), "no-store");
      const ready = await fetch(`${k.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: "ready", engine });
    });

    test("a client's X-Request-Id is used, echoed and carried by every log line of the request", async () => {
      const f = await createFixture(k.store);
      const requestId = "op-trace-7f3a.42";
      const before = lines.length;
      const answer = await signedPost(k.url, f, JSON.stringify({ pad: "x".repeat(2000) }), {
        headers: { "x-request-id": requestId },
      });
      assert.equal(answer.status, 413);
      assert.equal(answer.headers.get("x-request-id"), requestId);
      const mine = lines
        .slice(before)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry["reqId"] === requestId);
      assert.ok(mine.length >= 1, `a log line for the request: ${lines.slice(before).join("")}`);
      for (const entry of mine) {
        assert.equal(typeof entry["level"], "number");
        assert.equal(typeof entry["time"], "number");
        assert.equal(typeof entry["msg"], "string");
      }
      // The raw request in the request log keeps the id too, to find the log lines from it.
      const [log] = await k.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(JSON.parse(log!.raw).headers["x-request-id"], requestId);
    });

    test("without a usable X-Request-Id a fresh unique id is generated", async () => {
      const ids = new Set<string>();
      for (const given of [undefined, "has spaces in it", "x".repeat(200), '"quoted"']) {
        const response = await fetch(`${k.url}/healthz`, {
          headers: given === undefined ? {} : { "x-request-id": given },
        });
        const id = response.headers.get("x-request-id") ?? "";
        assert.match(id, /^[0-9a-f-]{36}$/);
        ids.add(id);
      }
      assert.equal(ids.size, 4);
    });

    test("every log line is JSON; request-scoped lines carry reqId", async () => {
      const f = await createFixture(k.store);
      await signedGet(k.url, f, ftd("log-1"), { headers: { "x-request-id": "req-log-1" } });
      await fetch(`${k.url}/v1/postback/%E0%A4%A`, { headers: { "x-request-id": "req-log-2" } });
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(
        entries.some((e) => e["reqId"] === "req-log-2"),
        "router refusals are logged with the id",
      );
      for (const entry of entries) {
        if ("req" in entry || "res" in entry) assert.equal(typeof entry["reqId"], "string");
      }
    });
  });
}

describe("readiness answers", () => {
  const store = (ping: () => Promise<void>) => ({ engine: "sqlite", ping }) as unknown as Store;

  test("a draining instance is not ready", async () => {
    const app = Fastify();
    await app.register(healthRoutes, { store: store(async () => undefined), isDraining: () => true });
    const response = await app.inject("/readyz");
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers["retry-after"], "5");
    assert.equal(response.json().status, "draining");
    await app.close();
  });

  test("a database that cannot answer → 503 storage_unavailable; /healthz stays 200", async () => {
    const app = Fastify();
    const down = store(async () => {
      throw new Error("connection refused");
    });
    await app.register(healthRoutes, { store: down, isDraining: () => false });
    const ready = await app.inject("/readyz");
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: "unavailable", code: "storage_unavailable" });
    assert.doesNotMatch(ready.body, /connection refused/);
    assert.equal((await app.inject("/healthz")).statusCode, 200);
    await app.close();
  });
});
