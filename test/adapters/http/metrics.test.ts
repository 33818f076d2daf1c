/**
 * GET /metrics (adapters/http/metrics.ts): on the service's port by default; behind a bearer token
 * with METRICS_TOKEN; on a listener of its own, and off the service's port, with METRICS_PORT.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { bearerMatches } from "../../../src/adapters/http/metrics.ts";
import { startService } from "../../../src/composition/start-service.ts";
import { loadConfig } from "../../../src/config.ts";
import { createTestDatabase } from "../../helpers/engines.ts";
import { startKitService } from "./postback-kit.ts";

const TOKEN = "m3trics-t0ken-0123456789";
const PROMETHEUS = /^# HELP postwire_delivery_attempts_total /m;

const scrape = (url: string, authorization?: string) =>
  fetch(`${url}/metrics`, authorization ? { headers: { authorization } } : {});

describe("GET /metrics", () => {
  test("bearerMatches: the exact token after a case-insensitive Bearer, nothing else", () => {
    const table: Array<[string | undefined, boolean]> = [
      [`Bearer ${TOKEN}`, true],
      [`bearer ${TOKEN}`, true],
      [`BEARER ${TOKEN}`, true],
      [`Bearer ${TOKEN.toUpperCase()}`, false],
      [`Bearer ${TOKEN.slice(0, -1)}`, false],
      [`Bearer ${TOKEN}x`, false],
      [`Bearer  ${TOKEN}`, false],
      [`Basic ${TOKEN}`, false],
      [TOKEN, false],
      ["Bearer ", false],
      ["", false],
      [undefined, false],
    ];
    for (const [header, expected] of table)
      assert.equal(bearerMatches(header, TOKEN), expected, String(header));
  });

  test("on the service's port by default, open", async () => {
    const k = await startKitService("sqlite");
    try {
      assert.equal(k.service.metricsUrl, undefined);
      const response = await scrape(k.url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.match(text, PROMETHEUS);
      // prom-client's process and runtime metrics beside ours.
      for (const name of [
        "process_cpu_user_seconds_total",
        "process_resident_memory_bytes",
        "nodejs_eventloop_lag_p99_seconds",
        "nodejs_heap_size_used_bytes",
      ])
        assert.match(text, new RegExp(`^${name} \\d`, "m"), name);
    } finally {
      await k.close();
    }
  });

  test("with METRICS_TOKEN, a scrape without the token is refused 401", async () => {
    const k = await startKitService("sqlite", { env: { METRICS_TOKEN: TOKEN } });
    try {
      for (const authorization of [undefined, "Bearer wrong-token-0123456789", `Basic ${TOKEN}`]) {
        const refused = await scrape(k.url, authorization);
        assert.equal(refused.status, 401, String(authorization));
        assert.equal(refused.headers.get("www-authenticate"), 'Bearer realm="metrics"');
        const body = (await refused.json()) as { code: string; message: string };
        assert.equal(body.code, "unauthorized");
        assert.match(body.message, /METRICS_TOKEN/);
      }
      const allowed = await scrape(k.url, `Bearer ${TOKEN}`);
      assert.equal(allowed.status, 200);
      assert.match(await allowed.text(), PROMETHEUS);
      assert.equal((await fetch(`${k.url}/healthz`)).status, 200, "nothing else needs it");
    } finally {
      await k.close();
    }
  });

  test("with METRICS_PORT, only a listener of its own answers it (with the token if set)", async () => {
    const k = await startKitService("sqlite", { env: { METRICS_PORT: "0", METRICS_TOKEN: TOKEN } });
    const metricsUrl = k.service.metricsUrl!;
    try {
      assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/, "METRICS_HOST defaults to 127.0.0.1");
      assert.notEqual(metricsUrl, k.url);
      assert.equal((await scrape(k.url, `Bearer ${TOKEN}`)).status, 404, "not on the service's port");
      assert.equal((await scrape(metricsUrl)).status, 401);
      const allowed = await scrape(metricsUrl, `Bearer ${TOKEN}`);
      assert.equal(allowed.status, 200);
      assert.match(await allowed.text(), PROMETHEUS);
      const other = await fetch(`${metricsUrl}/healthz`);
      assert.equal(other.status, 404, "nothing but /metrics there");
      assert.equal(((await other.json()) as { code: string }).code, "not_found");
    } finally {
      await k.close();
    }
    await assert.rejects(scrape(metricsUrl), "closed with the service");
  });

  test("a METRICS_PORT that cannot be bound fails the start (the file would hang on a listener left open)", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const database = await createTestDatabase("sqlite");
    try {
      const config = loadConfig({
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: "0",
        LOG_LEVEL: "silent",
        METRICS_PORT: String((blocker.address() as { port: number }).port),
      });
      await assert.rejects(startService(config), /EADDRINUSE/);
    } finally {
      blocker.close();
      await database.drop();
    }
  });
});
