/**
 * The outbox and the dispatcher on both engines: messages written in the ingest transaction,
 * retries on the schedule against a real receiver (injected clock), Standard Webhooks signatures
 * cross-checked with the `standardwebhooks` package, dead letters, 410 and the failure threshold,
 * and two dispatchers on one PostgreSQL never sending a row twice.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { EndpointCache } from "../../../src/app/delivery/endpoint-cache.ts";
import { createOutboundEffect } from "../../../src/app/delivery/outbound-effect.ts";
import type { Endpoint, NewEndpoint } from "../../../src/app/delivery/outbox-port.ts";
import type { Payout } from "../../../src/app/ingest/ingest-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import type { ConversionRow } from "../../../src/app/records.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { clickRow, conversionRow, insertConversions } from "../../helpers/records.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { settled } from "../../helpers/until.ts";
import {
  endpointInput,
  type Receiver,
  startReceiver,
  TEST_SECRET,
  testClock,
  testDispatcher,
  testSender,
  until,
} from "./delivery-kit.ts";

for (const engine of await availableEngines()) {
  describe(`outbound delivery (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    const sender = testSender();
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
    });
    after(async () => {
      sender.close();
      await store.close();
    });

    const endpoint = (receiver: Receiver, patch: Partial<NewEndpoint> = {}): Promise<Endpoint> =>
      store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, {
          urlTemplate: `${receiver.url}/pb?id={delivery_id}&cid={click_id}&s1={sub1}&p={payout}&st={status}&token=abc`,
          method: "POST",
          statuses: ["created", "reversed"],
          ...patch,
        }),
        Date.now(),
      );

    /** Commits conversions through the outbound effect, as an ingest batch would. */
    async function ingest(
      clock: { now(): number },
      rows: ConversionRow[],
      payouts = new Map<string, Payout[]>(),
    ) {
      const effect = createOutboundEffect({ cache: new EndpointCache(clock, 0), clock, ids: createIds() });
      await store.ingest(async (tx) => {
        await insertConversions(tx, rows);
        await effect(tx, rows, { payouts, clickTimes: new Map(), afterCommit: [] });
      });
    }

    const attributed = (overrides: Partial<ConversionRow> = {}) =>
      conversionRow({
        operatorId: f.operator.id,
        affiliateId: f.affiliate.id,
        programId: f.program.id,
        linkId: f.link.id,
        event: "ftd",
        amountMinor: 5000,
        currency: "EUR",
        ...overrides,
      });

    test("fails, retries on the schedule, then delivers with one delivery id and fresh signatures", async () => {
      const receiver = await startReceiver([{ status: 500 }, { status: 200, body: "thanks" }]);
      const clock = testClock();
      const ep = await endpoint(receiver);
      const click = clickRow({
        linkId: f.link.id,
        affiliateId: f.affiliate.id,
        subs: ["spring & summer", null, null, null, null],
      });
      await store.insertClicks([click]);
      const row = attributed({ clickId: click.clickId });
      const payout: Payout = {
        conversionId: row.id,
        affiliateId: f.affiliate.id,
        amountMinor: 1250,
        currency: "EUR",
        status: "pending",
      };
      await ingest(clock, [row], new Map([[row.id, [payout]]]));
      const dispatcher = testDispatcher(store, clock, sender);

      await dispatcher.tick();
      assert.equal(receiver.hits.length, 1);
      let [delivery] = await store.deliveries.list({ endpointId: ep.id });
      assert.equal(delivery!.state, "pending");
      assert.equal(delivery!.attempts, 1);
      assert.equal(delivery!.runAt, clock.now() + 5000, "second attempt 5 s later");
      await dispatcher.tick();
      assert.equal(receiver.hits.length, 1, "not due yet");
      clock.advance(5000);
      await dispatcher.tick();
      assert.equal(receiver.hits.length, 2);
      [delivery] = await store.deliveries.list({ endpointId: ep.id });
      assert.equal(delivery!.state, "delivered");

      const [first, second] = receiver.hits;
      assert.equal(first!.headers["webhook-id"], delivery!.id);
      assert.equal(second!.headers["webhook-id"], delivery!.id);
      assert.notEqual(first!.headers["webhook-timestamp"], second!.headers["webhook-timestamp"]);
      const query = new URL(second!.url, receiver.url).searchParams;
      assert.equal(query.get("id"), delivery!.id);
      assert.equal(query.get("s1"), "spring & summer", "values are encoded, never add parameters");
      assert.equal(query.get("p"), "12.50");
      assert.equal(query.get("st"), "created");
      const body = JSON.parse(second!.body);
      assert.equal(body.delivery_id, delivery!.id);
      assert.equal(body.click_id, click.clickId);
      // Verified with the independent Standard Webhooks implementation, at the attempt's time.
      const wh = new Webhook(TEST_SECRET);
      const headers = {
        "webhook-id": String(second!.headers["webhook-id"]),
        "webhook-timestamp": String(second!.headers["webhook-timestamp"]),
        "webhook-signature": String(second!.headers["webhook-signature"]),
      };
      const realNow = Date.now;
      Date.now = () => clock.now();
      try {
        assert.deepEqual(wh.verify(second!.body, headers), body);
      } finally {
        Date.now = realNow;
      }

      const log = await store.deliveries.attempts({ deliveryId: delivery!.id });
      assert.deepEqual(log.map((a) => a.httpStatus).sort(), [200, 500]);
      assert.ok(
        log.every((a) => a.url.includes("token=REDACTED")),
        "secrets redacted in the log",
      );
      assert.equal(log.find((a) => a.httpStatus === 200)!.responseSnippet, "thanks");
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, clock.now());
      await receiver.close();
    });

    test("test conversions, other affiliates and unsubscribed statuses write nothing; reversals carry reason", async () => {
      const receiver = await startReceiver();
      const clock = testClock();
      const ep = await endpoint(receiver, { method: "GET", statuses: ["reversed"] });
      const original = attributed();
      await ingest(clock, [
        original,
        attributed({ test: true }),
        attributed({ affiliateId: null, unattributedReason: "no_click_id" }),
      ]);
      assert.equal((await store.deliveries.list({ endpointId: ep.id })).length, 0);
      const refund = attributed({ event: "refund", reversesId: original.id, amountMinor: 5000 });
      const clawback: Payout = {
        conversionId: refund.id,
        affiliateId: f.affiliate.id,
        amountMinor: -1250,
        currency: "EUR",
        status: "reversed",
      };
      await ingest(clock, [refund], new Map([[refund.id, [clawback]]]));
      const [delivery] = await store.deliveries.list({ endpointId: ep.id });
      assert.equal(delivery!.status, "reversed");
      assert.equal(delivery!.payload["payout"], "-12.50");
      assert.equal(delivery!.payload["reason"], "refund");
      assert.equal(delivery!.payload["event"], "ftd");
      assert.equal(delivery!.payload["conversion_id"], original.id);
      await testDispatcher(store, clock, sender).tick();
      assert.equal(receiver.hits.length, 1);
      assert.equal(receiver.hits[0]!.method, "GET");
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, clock.now());
      await receiver.close();
    });

    test("the last failure is a dead letter; replay sends it again with the same id", async () => {
      const receiver = await startReceiver([{ status: 503 }, { status: 503 }, { status: 200 }]);
      const clock = testClock();
      const ep = await endpoint(receiver);
      await ingest(clock, [attributed()]);
      const dispatcher = testDispatcher(store, clock, sender, {
        schedule: (attempt, now) => (attempt < 2 ? now + 1000 : null),
      });
      await dispatcher.tick();
      clock.advance(1000);
      await dispatcher.tick();
      let [delivery] = await store.deliveries.list({ endpointId: ep.id });
      assert.equal(delivery!.state, "dead");
      assert.equal(delivery!.lastStatus, 503);
      assert.equal(
        await store.deliveries.replayRange({ endpointId: ep.id, states: ["dead"] }, clock.now()),
        1,
      );
      await dispatcher.tick();
      [delivery] = await store.deliveries.list({ endpointId: ep.id });
      assert.equal(delivery!.state, "delivered");
      assert.equal(new Set(receiver.hits.map((h) => h.headers["webhook-id"])).size, 1);
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, clock.now());
      await receiver.close();
    });

    test("410 Gone disables the endpoint; a run of failures does too; re-enabling resumes", async () => {
      const gone = await startReceiver([{ status: 410 }]);
      const clock = testClock();
      const ep = await endpoint(gone);
      await ingest(clock, [attributed()]);
      await testDispatcher(store, clock, sender).tick();
      const disabled = await store.deliveries.endpoints.get(ep.id);
      assert.equal(disabled!.status, "disabled");
      assert.match(disabled!.disabledReason!, /410/);

      const failing = await startReceiver([{ status: 500 }, { status: 500 }, { status: 200 }]);
      const ep2 = await endpoint(failing);
      await ingest(clock, [attributed(), attributed()]);
      await testDispatcher(store, clock, sender, { failureThreshold: 2 }).tick();
      const off = await store.deliveries.endpoints.get(ep2.id);
      assert.equal(off!.status, "disabled");
      assert.match(off!.disabledReason!, /2 consecutive failed attempts/);
      clock.advance(10_000);
      await testDispatcher(store, clock, sender).tick();
      assert.equal(failing.hits.length, 2, "nothing is sent to a disabled endpoint");
      const on = await store.deliveries.endpoints.update(ep2.id, { status: "active" }, clock.now());
      assert.equal(on!.disabledReason, null);
      await testDispatcher(store, clock, sender).tick();
      assert.equal(failing.hits.length, 4);
      await store.deliveries.endpoints.update(ep2.id, { status: "disabled" }, clock.now());
      await gone.close();
      await failing.close();
    });

    test("a slow endpoint holds only its own slots", { timeout: 60_000 }, async () => {
      const slow = await startReceiver(["hang"]);
      const fast = await startReceiver();
      const clock = testClock();
      const epSlow = await endpoint(slow);
      const epFast = await endpoint(fast);
      await ingest(clock, [attributed(), attributed(), attributed(), attributed()]);
      await store.deliveries.endpoints.update(epFast.id, { status: "active" }, clock.now());
      // The hung request ends only when the test closes its receiver, never by a timeout meanwhile.
      const dispatcher = testDispatcher(store, clock, sender, {
        perEndpoint: 1,
        concurrency: 4,
        sendOptions: { connectTimeoutMs: 600_000, responseTimeoutMs: 600_000, deadlineMs: 600_000 },
      });
      const round = dispatcher.tick();
      try {
        await until(() => slow.hits.length === 1, "the hung request");
        // Rounds until the healthy endpoint has all four (a round finds its one slot busy while the
        // previous send is still being answered); a round that waited for the hung request never ends.
        await until(async () => {
          await dispatcher.tick();
          return fast.hits.length >= 4;
        }, "the healthy endpoint's four deliveries");
        assert.equal(fast.hits.length, 4, "the healthy endpoint is not held up");
        assert.equal(slow.hits.length, 1, "one slot for the hung endpoint");
        assert.equal(
          await settled(round),
          false,
          "the hung request is still in flight: nothing waited for it",
        );
      } finally {
        await slow.close();
        await round;
        for (const id of [epSlow.id, epFast.id])
          await store.deliveries.endpoints.update(id, { status: "disabled" }, clock.now());
        await fast.close();
      }
    });

    if (engine === "postgres") {
      test("two dispatchers on one database never send a row twice", async () => {
        const receiver = await startReceiver();
        const clock = testClock();
        const ep = await endpoint(receiver);
        const rows = Array.from({ length: 60 }, () => attributed());
        await ingest(clock, rows);
        const a = testDispatcher(store, clock, sender, { perEndpoint: 8, concurrency: 8 });
        const b = testDispatcher(store, clock, sender, { perEndpoint: 8, concurrency: 8 });
        // Rounds of both at once until the receiver has every row (however many that takes).
        await until(async () => {
          await Promise.all([a.tick(), b.tick()]);
          return new Set(receiver.hits.map((hit) => hit.headers["webhook-id"])).size >= 60;
        }, "every row to be sent");
        const perId = new Map<string, number>();
        for (const hit of receiver.hits) {
          const id = String(hit.headers["webhook-id"]);
          perId.set(id, (perId.get(id) ?? 0) + 1);
        }
        assert.equal(perId.size, 60);
        assert.ok(
          [...perId.values()].every((n) => n === 1),
          "each delivery sent exactly once",
        );
        await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, clock.now());
        await receiver.close();
      });
    }
  });
}
