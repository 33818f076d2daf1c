/**
 * Graceful shutdown: stop() lets in-flight postbacks finish with their 2xx (and stores them),
 * refuses new connections, then closes the database. Also: a failed start leaves nothing open.
 */
import assert from "node:assert/strict";
import { request as httpRequest, type Server } from "node:http";
import { createServer } from "node:net";
import { test } from "node:test";
import pg from "pg";
import { openStore } from "../src/adapters/storage/open-store.ts";
import { startService } from "../src/composition/start-service.ts";
import { loadConfig } from "../src/config.ts";
import { signWebhook } from "../src/domain/signing.ts";
import { ftd, secretBytes, signedGet, startKitService } from "./adapters/http/postback-kit.ts";
import { availableEngines, createTestDatabase } from "./helpers/engines.ts";
import { createFixture, type Fixture } from "./helpers/service.ts";
import { gate, settled, until } from "./helpers/until.ts";

/** Resolves once `count` requests have reached the server (their heads parsed). */
function requestsArrived(server: Server, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onRequest = () => {
      if (++seen < count) return;
      server.off("request", onRequest);
      resolve();
    };
    server.on("request", onRequest);
  });
}

/**
 * A signed POST on a fresh connection whose body is sent in two halves: the first at once, the
 * second when `finish()` is called, so it is in flight while the test calls stop().
 */
function slowPostback(url: string, f: Fixture, txid: string) {
  const body = JSON.stringify({
    event: "ftd",
    txid,
    player_id: `p-${txid}`,
    amount: "10.00",
    currency: "EUR",
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const rest = gate();
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(new URL(`/v1/postback/${f.operator.key}`, url), {
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "webhook-id": txid,
        "webhook-timestamp": ts,
        "webhook-signature": signWebhook(secretBytes(f.secret), txid, ts, body),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.flushHeaders();
    req.write(body.slice(0, 20));
    void rest.opened.then(() => req.end(body.slice(20)));
  });
  return { answer, finish: rest.open };
}

/** Whether a new connection to `url` is refused. */
const refused = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => false,
    () => true,
  );

for (const engine of await availableEngines()) {
  test(`stop() drains in-flight postbacks, refuses new connections, closes the database (${engine})`, {
    timeout: 60_000,
  }, async () => {
    const k = await startKitService(engine);
    try {
      const f = await createFixture(k.store);
      // Warm the operator cache so the in-flight requests only wait on their bodies.
      const warm = await fetch(`${k.url}/healthz`);
      assert.equal(warm.status, 200);
      const arrived = requestsArrived(k.service.app.server, 6);
      const inFlight = Array.from({ length: 6 }, (_, i) => slowPostback(k.url, f, `drain-${i}`));
      await arrived;

      const stopped = k.service.stop();
      // The listener closes while the six requests still wait for the rest of their bodies.
      await until(() => refused(k.url), "the listener to close");
      assert.equal(await settled(stopped), false, "stop() waits for the requests in flight");

      for (const request of inFlight) request.finish();
      const answers = await Promise.all(inFlight.map((p) => p.answer));
      for (const answer of answers) {
        assert.equal(answer.status, 200, answer.body);
        assert.equal(JSON.parse(answer.body).code, "accepted");
      }
      await stopped;
      await assert.rejects(k.store.ping(), "the database is closed after stop()");
      await assert.rejects(fetch(`${k.url}/healthz`));

      // Every 2xx was committed: reopen the database and find them all.
      const reopened = openStore(k.database.url);
      try {
        const rows = await reopened.listConversions({ operatorId: f.operator.id });
        assert.deepEqual(rows.map((r) => r.txid).sort(), answers.map((_, i) => `drain-${i}`).sort());
        const logs = await reopened.searchRequestLog({ operatorId: f.operator.id });
        assert.equal(logs.length, answers.length);
      } finally {
        await reopened.close();
      }
    } finally {
      await k.close();
    }
  });
}

test("with SHUTDOWN_DRAIN_DELAY_MS, /readyz says draining at once while postbacks and clicks are still served", {
  timeout: 60_000,
}, async () => {
  // The delay is the test's to end: what happens during it does not race a timer.
  const delayed: number[] = [];
  const delay = gate();
  const k = await startKitService("sqlite", {
    env: { SHUTDOWN_DRAIN_DELAY_MS: "1500" },
    drainDelay: (ms) => {
      delayed.push(ms);
      return delay.opened;
    },
  });
  try {
    const f = await createFixture(k.store);
    assert.equal((await fetch(`${k.url}/readyz`)).status, 200);
    const stopped = k.service.stop();

    const ready = await fetch(`${k.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { status: string }).status, "draining");
    // New connections are still accepted and served normally during the delay.
    const postback = await signedGet(k.url, f, ftd("during-drain-delay"));
    assert.equal(postback.status, 200, postback.text);
    assert.equal(postback.body["code"], "accepted");
    const click = await fetch(`${k.url}/c/${f.link.code}`, { redirect: "manual" });
    assert.equal(click.status, 302);
    assert.deepEqual(delayed, [1500], "the configured delay, waited once");
    assert.equal(await settled(stopped), false, "the listener stays open for the delay");

    delay.open();
    await stopped;
    await assert.rejects(fetch(`${k.url}/healthz`), "the port is closed once stop() has finished");
    const reopened = openStore(k.database.url);
    try {
      const rows = await reopened.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(
        rows.map((r) => r.txid),
        ["during-drain-delay"],
      );
    } finally {
      await reopened.close();
    }
  } finally {
    await k.close();
  }
});

test("stop() is idempotent: a second call waits for the same shutdown", { timeout: 30_000 }, async () => {
  const k = await startKitService("sqlite");
  try {
    const [a, b] = [k.service.stop(), k.service.stop()];
    assert.equal(a, b);
    await a;
  } finally {
    await k.close();
  }
});

for (const engine of await availableEngines()) {
  test(`a start that cannot listen closes its database and reports the error (${engine})`, {
    timeout: 30_000,
  }, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const database = await createTestDatabase(engine);
    try {
      const config = loadConfig({
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: String(port),
        LOG_LEVEL: "silent",
      });
      await assert.rejects(startService(config), /EADDRINUSE/);
      if (engine === "postgres") {
        // A backend leaves pg_stat_activity a moment after its client hangs up.
        await until(async () => (await connectionsTo(database.url)) === 0, "no pool left open");
      }
    } finally {
      blocker.close();
      await database.drop();
    }
  });
}

/** Open server connections to the database named in `url` (PostgreSQL). */
async function connectionsTo(url: string): Promise<number> {
  const admin = new pg.Client({
    connectionString: process.env["TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres",
  });
  await admin.connect();
  try {
    const result = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [
      new URL(url).pathname.slice(1),
    ]);
    return result.rows[0].n as number;
  } finally {
    await admin.end();
  }
}
