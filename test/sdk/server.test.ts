/**
 * The SDK against a real Postwire service on 127.0.0.1 (SQLite: the SDK only sees HTTP, and the
 * storage engines have their own suites): every event type of each vertical by POST and by GET,
 * a duplicate, a conflict and refusals that are not retried, and retries through a proxy of the
 * test's own that answers 503 or drops a connection before the real server answers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createPostwireClient,
  type PostwireClientOptions,
  PostwireError,
  type PostwireEvent,
  type SendResult,
  VERTICAL_EVENTS,
  type Vertical,
} from "../../packages/sdk/src/index.ts";
import { createFixture, type Fixture } from "../helpers/service.ts";
import { clickId, startProxy, suiteService } from "./sdk-kit.ts";

/** Events covering every event type of the vertical, in a valid order; reversals undo earlier ones. */
function story(vertical: Vertical, run: string, click: string): PostwireEvent[] {
  const id = (name: string) => `${run}-${name}`;
  const who = { playerId: `player-${run}` };
  const eur = (amount: string) => ({ amount, currency: "EUR" });
  const registration: PostwireEvent = { event: "registration", txid: id("reg"), clickId: click, ...who };
  const reversals = (target: string): PostwireEvent[] => [
    { event: "refund", txid: id("refund"), reverses: target, ...eur("10.00"), ...who },
    { event: "chargeback", txid: id("chargeback"), reverses: target, ...eur("5.25"), ...who },
    { event: "reversal", txid: id("reversal"), reverses: target, ...eur("1.00"), ...who },
  ];
  if (vertical === "prop") {
    return [
      registration,
      { event: "challenge_purchase", txid: id("challenge"), ...eur("99.00"), occurredAt: new Date(), ...who },
      { event: "evaluation_pass", txid: id("pass"), ...who },
      { event: "funded", txid: id("funded"), subId: "s-1", ...who },
      ...reversals(id("challenge")),
    ];
  }
  const deposits: PostwireEvent[] = [
    registration,
    { event: "ftd", txid: id("ftd"), ...eur("100.50"), occurredAt: Math.floor(Date.now() / 1000), ...who },
    { event: "deposit", txid: id("deposit"), ...eur("50.00"), extra: { campaign: "spring" }, ...who },
  ];
  if (vertical === "igaming") {
    return [
      ...deposits,
      { event: "bonus", txid: id("bonus"), ...eur("5.00"), ...who },
      { event: "revenue", txid: id("revenue"), ...eur("-12.30"), ...who },
      ...reversals(id("deposit")),
    ];
  }
  return [
    ...deposits,
    { event: "trade", txid: id("trade"), lots: "1.5", ...who },
    { event: "qualified_trader", txid: id("qualified"), ...who },
    { event: "revenue", txid: id("revenue"), ...eur("30.00"), ...who },
    ...reversals(id("deposit")),
  ];
}

function accepted(result: SendResult, what: string, attempts = 1) {
  const summary = JSON.stringify(result);
  assert.deepEqual(
    [result.ok, result.status, result.code, result.attempts, result.replayed],
    [true, 200, "accepted", attempts, false],
    `${what}: ${summary}`,
  );
  assert.match(String(result.body["conversion_id"]), /\S/, summary);
}

describe("SDK against a real Postwire service", () => {
  const suite = suiteService("postwire-sdk-server-");

  const clientFor = (f: Fixture, options: Partial<PostwireClientOptions> = {}) =>
    createPostwireClient({ baseUrl: suite.t.url, operatorKey: f.operator.key, secret: f.secret, ...options });

  for (const method of ["POST", "GET"] as const) {
    for (const vertical of Object.keys(VERTICAL_EVENTS) as Vertical[]) {
      test(`${method}, ${vertical}: every event type is accepted, attributed and stored once`, async () => {
        const f = await createFixture(suite.t.store, { vertical, allowedEvents: VERTICAL_EVENTS[vertical] });
        const client = clientFor(f, { method });
        const events = story(vertical, `${method}-${vertical}`, await clickId(suite.t.url, f.link.code));
        assert.deepEqual(new Set(events.map((e) => e.event)), new Set(VERTICAL_EVENTS[vertical]));
        for (const event of events) {
          const result = await client.send(event);
          accepted(result, event.event);
          assert.equal(result.body["attributed"], true, `${event.event}: ${JSON.stringify(result.body)}`);
        }
        const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
        assert.deepEqual(stored.map((c) => c.txid).sort(), events.map((e) => e.txid).sort());
      });
    }
  }

  test("a duplicate is replayed: same conversion, Idempotent-Replayed; other content is a 409, not retried", async () => {
    const f = await createFixture(suite.t.store);
    const client = clientFor(f);
    const ftd = { event: "ftd", txid: "dup-1", playerId: "p-dup", amount: "20.00", currency: "EUR" } as const;
    const first = await client.send(ftd);
    accepted(first, "first");
    const again = await client.send(ftd);
    assert.deepEqual(
      [again.ok, again.status, again.code, again.replayed, again.attempts],
      [true, 200, "duplicate", true, 1],
    );
    assert.equal(again.body["conversion_id"], first.body["conversion_id"]);
    const conflict = await client.send({ ...ftd, amount: "21.00" });
    assert.deepEqual(
      [conflict.ok, conflict.status, conflict.code, conflict.attempts],
      [false, 409, "txid_conflict", 1],
    );
  });

  test("validateOnly: the answer a real send gives, with the trace, and nothing stored", async () => {
    const f = await createFixture(suite.t.store);
    for (const method of ["POST", "GET"] as const) {
      const client = clientFor(f, { method });
      const ftd = {
        event: "ftd",
        txid: `vo-${method}`,
        playerId: "p-vo",
        amount: "20.00",
        currency: "EUR",
      } as const;
      const dry = await client.send(ftd, { validateOnly: true });
      assert.deepEqual(
        [dry.ok, dry.code, dry.body["validate_only"]],
        [true, "accepted", true],
        JSON.stringify(dry),
      );
      assert.ok(Array.isArray(dry.body["trace"]), "the step trace comes inline");
      assert.equal((await suite.t.store.listConversions({ operatorId: f.operator.id })).length, 0);
      const bad = await client.send({ ...ftd, amount: "20.001" }, { validateOnly: true });
      assert.deepEqual([bad.status, bad.code, bad.attempts], [400, "amount_precision", 1]);
    }
  });

  test("permanent refusals come back at once with their code: 400, 401, 404", async () => {
    const f = await createFixture(suite.t.store);
    const invalid = await clientFor(f).send({
      event: "ftd",
      txid: "bad-1",
      amount: "10.005",
      currency: "EUR",
    });
    assert.deepEqual(
      [invalid.status, invalid.code, invalid.body["field"], invalid.attempts],
      [400, "amount_precision", "amount", 1],
    );
    const other = await createFixture(suite.t.store);
    const unsigned = await clientFor(f, { secret: other.secret }).send({
      event: "registration",
      txid: "bad-2",
    });
    assert.deepEqual([unsigned.status, unsigned.code, unsigned.attempts], [401, "invalid_signature", 1]);
    const unknown = await clientFor(f, { operatorKey: "op_nobody" }).send({
      event: "registration",
      txid: "bad-3",
    });
    assert.deepEqual([unknown.status, unknown.code, unknown.attempts], [404, "unknown_operator", 1]);
  });

  test("503 with Retry-After from the way in: waited at least that, retried once, accepted", async () => {
    const f = await createFixture(suite.t.store);
    const proxy = await startProxy(suite.t.url, (n) => (n === 0 ? "503" : "forward"));
    try {
      const waits: number[] = [];
      const client = clientFor(f, { baseUrl: proxy.url, sleep: async (ms) => void waits.push(ms) });
      const result = await client.send({ event: "registration", txid: "retry-503", playerId: "p-503" });
      accepted(result, "after a 503", 2);
      assert.equal(waits.length, 1);
      assert.ok(waits[0]! >= 1_000, `waited ${waits[0]} ms, Retry-After: 1`);
      assert.deepEqual(
        proxy.requests.map((r) => r.headers["webhook-id"]),
        ["retry-503", "retry-503"],
      );
      assert.equal(proxy.requests[0]!.body, proxy.requests[1]!.body);
    } finally {
      await proxy.close();
    }
  });

  test("an answer lost after the commit: the retry is a replayed duplicate, stored once", async () => {
    const f = await createFixture(suite.t.store);
    const proxy = await startProxy(suite.t.url, (n) => (n === 0 ? "forward-then-reset" : "forward"));
    try {
      const client = clientFor(f, { baseUrl: proxy.url, sleep: async () => undefined });
      const result = await client.send({
        event: "ftd",
        txid: "lost-1",
        playerId: "p-lost",
        amount: "7.00",
        currency: "EUR",
      });
      assert.deepEqual(
        [result.ok, result.code, result.replayed, result.attempts],
        [true, "duplicate", true, 2],
      );
      const stored = await suite.t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(stored.length, 1);
    } finally {
      await proxy.close();
    }
  });

  test("a connection reset at every attempt: PostwireError network_error, nothing stored", async () => {
    const f = await createFixture(suite.t.store);
    const proxy = await startProxy(suite.t.url, () => "reset");
    try {
      const client = clientFor(f, { baseUrl: proxy.url, maxAttempts: 3, sleep: async () => undefined });
      await assert.rejects(client.send({ event: "registration", txid: "reset-1" }), (error: unknown) => {
        assert.ok(error instanceof PostwireError);
        assert.deepEqual([error.code, error.attempts], ["network_error", 3]);
        return true;
      });
      assert.equal(proxy.requests.length, 3);
      assert.equal((await suite.t.store.listConversions({ operatorId: f.operator.id })).length, 0);
    } finally {
      await proxy.close();
    }
  });
});
