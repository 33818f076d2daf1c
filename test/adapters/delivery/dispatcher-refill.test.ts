/**
 * The dispatcher's group commit and refill on both engines: a backlog far larger than the
 * concurrency drains without waiting for the poll interval (each committed batch of outcomes
 * claims the room it frees), every delivery is sent once with its attempt logged, and the
 * per-endpoint cap still holds; an endpoint that keeps up gets more requests at once (never above
 * its maximum); a stopping dispatcher hands back what it claimed and never sent.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { createDispatcher } from "../../../src/adapters/delivery/dispatcher.ts";
import type { Endpoint, NewDelivery } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { PATIENCE_MS, until } from "../../helpers/until.ts";
import { endpointInput, startReceiver, steadySchedule, testSender } from "./delivery-kit.ts";

for (const engine of await availableEngines()) {
  describe(`dispatcher refill (${engine})`, () => {
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

    const backlog = async (endpointId: number, n: number, tag: string) => {
      const ids = createIds();
      const now = Date.now();
      const rows: NewDelivery[] = Array.from({ length: n }, (_, i) => ({
        id: ids.next("dl"),
        endpointId,
        affiliateId: f.affiliate.id,
        conversionId: `cv_${tag}_${i}`,
        status: "created",
        test: false,
        payload: {},
        runAt: now,
      }));
      await store.deliveries.enqueue(rows, now);
      return rows;
    };
    const dispatcherFor = (
      send: typeof sender.send,
      limits: { concurrency: number; perEndpoint: number; perEndpointMax: number },
      workerId: string,
    ) =>
      createDispatcher(
        {
          store: store.deliveries,
          sender: { send },
          clock: systemClock,
          ids: createIds(),
          schedule: steadySchedule,
          sendOptions: { connectTimeoutMs: 1000, responseTimeoutMs: 1000, deadlineMs: 1000 },
          failureThreshold: 0,
          workerId,
        },
        { ...limits, intervalMs: 60_000, leaseMs: 60_000, releaseAtStart: false },
      );

    test("an endpoint that keeps up gets more requests at once, up to its maximum", async () => {
      const receiver = await startReceiver();
      const ep = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { name: "fast", urlTemplate: `${receiver.url}/fast?id={delivery_id}` }),
        Date.now(),
      );
      const rows = await backlog(ep.id, 300, "fast");
      let inFlight = 0;
      let most = 0;
      const dispatcher = dispatcherFor(
        async (...args) => {
          most = Math.max(most, ++inFlight);
          try {
            return await sender.send(...args);
          } finally {
            inFlight--;
          }
        },
        { concurrency: 16, perEndpoint: 1, perEndpointMax: 5 },
        "fast",
      );
      await dispatcher.start();
      while (receiver.hits.length < rows.length) await new Promise((resolve) => setTimeout(resolve, 10));
      await dispatcher.stop();
      await receiver.close();
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, Date.now());
      assert.ok(most > 1, `grew beyond its starting 1 in flight (saw ${most})`);
      assert.ok(most <= 5, `never above its maximum 5 (saw ${most})`);
      assert.equal(new Set(receiver.hits.map((h) => h.url)).size, rows.length, "each sent once");
    });

    test("a claim gone stale while its request is still out is not sent a second time", async () => {
      // Answers after 300 ms, while the loop polls every 10 ms with a 5 ms lease: every poll
      // takes the row again as abandoned, and this process must see it still holds it.
      const hits: string[] = [];
      const slow = createServer((request, response) => {
        hits.push(request.url ?? "");
        setTimeout(() => response.end("ok"), 300);
      });
      await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
      const port = (slow.address() as AddressInfo).port;
      const ep = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, {
          name: "slow",
          urlTemplate: `http://127.0.0.1:${port}/slow?id={delivery_id}`,
        }),
        Date.now(),
      );
      await backlog(ep.id, 1, "stale");
      let sends = 0;
      const dispatcher = createDispatcher(
        {
          store: store.deliveries,
          // Counted when called: a second send would start the moment the first is answered.
          sender: {
            send: (...args) => {
              sends++;
              return sender.send(...args);
            },
          },
          clock: systemClock,
          ids: createIds(),
          schedule: steadySchedule,
          sendOptions: { connectTimeoutMs: 1000, responseTimeoutMs: 2000, deadlineMs: 2000 },
          failureThreshold: 0,
          workerId: "stale",
        },
        {
          concurrency: 4,
          perEndpoint: 1,
          perEndpointMax: 1,
          intervalMs: 10,
          leaseMs: 5,
          releaseAtStart: false,
        },
      );
      await dispatcher.start();
      while (!(await store.deliveries.list({ endpointId: ep.id, state: "delivered", limit: 1 })).length)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await dispatcher.stop();
      slow.closeAllConnections();
      slow.close();
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, Date.now());
      assert.equal(sends, 1, "sent once");
      assert.equal(hits.length, 1, "received once");
    });

    test("a stopping dispatcher hands back what it claimed and never sent", async () => {
      const receiver = await startReceiver(["hang"]);
      const ep = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { name: "hung", urlTemplate: `${receiver.url}/hung?id={delivery_id}` }),
        Date.now(),
      );
      const rows = await backlog(ep.id, 10, "hung");
      const dispatcher = dispatcherFor(
        sender.send,
        { concurrency: 4, perEndpoint: 1, perEndpointMax: 1 },
        "hung",
      );
      await dispatcher.start();
      while (receiver.hits.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await dispatcher.stop();
      await receiver.close();
      const mine = new Set(rows.map((r) => r.id));
      const after = (await store.deliveries.list({ endpointId: ep.id, limit: 100 })).filter((d) =>
        mine.has(d.id),
      );
      const attempted = after.filter((d) => d.attempts > 0);
      assert.equal(attempted.length, 1, "only the one sent counts an attempt");
      assert.ok(
        after.every((d) => d.lockedBy === null && d.state === "pending"),
        "nothing left claimed",
      );
      await store.deliveries.endpoints.update(ep.id, { status: "disabled" }, Date.now());
    });

    test("a backlog drains through refills, not intervals, each delivery sent once", async () => {
      const receiver = await startReceiver();
      let inFlight = 0;
      let most = 0;
      const endpoints: Endpoint[] = [];
      for (const name of ["a", "b"]) {
        endpoints.push(
          await store.deliveries.endpoints.create(
            endpointInput(f.affiliate.id, { name, urlTemplate: `${receiver.url}/${name}?id={delivery_id}` }),
            Date.now(),
          ),
        );
      }
      const ids = createIds();
      const now = Date.now();
      const rows: NewDelivery[] = Array.from({ length: 120 }, (_, i) => ({
        id: ids.next("dl"),
        endpointId: endpoints[i % 2]!.id,
        affiliateId: f.affiliate.id,
        conversionId: `cv_refill_${i}`,
        status: "created",
        test: false,
        payload: {},
        runAt: now,
      }));
      await store.deliveries.enqueue(rows, now);
      const counting = {
        async send(...args: Parameters<typeof sender.send>) {
          most = Math.max(most, ++inFlight);
          try {
            return await sender.send(...args);
          } finally {
            inFlight--;
          }
        },
      };
      const dispatcher = createDispatcher(
        {
          store: store.deliveries,
          sender: counting,
          clock: systemClock,
          ids,
          schedule: steadySchedule,
          sendOptions: {
            connectTimeoutMs: PATIENCE_MS,
            responseTimeoutMs: PATIENCE_MS,
            deadlineMs: PATIENCE_MS,
          },
          failureThreshold: 0,
          workerId: "refill",
        },
        // One poll only within the test's time: everything after it comes from refills.
        {
          concurrency: 8,
          perEndpoint: 3,
          perEndpointMax: 3,
          intervalMs: 60_000,
          leaseMs: 60_000,
          releaseAtStart: false,
        },
      );
      await dispatcher.start();
      await until(() => receiver.hits.length >= rows.length, "every row to be sent");
      await dispatcher.stop();
      await receiver.close();
      assert.equal(receiver.hits.length, rows.length);
      assert.equal(new Set(receiver.hits.map((h) => h.url)).size, rows.length, "each sent once");
      assert.ok(most <= 6, `per-endpoint cap 3 × 2 endpoints held (saw ${most} in flight)`);
      const ours = new Set(endpoints.map((e) => e.id));
      const delivered = await store.deliveries.list({ state: "delivered", limit: 1000 });
      assert.equal(delivered.filter((d) => ours.has(d.endpointId)).length, rows.length);
      const attempts = await store.deliveries.attempts({ limit: 1000 });
      assert.equal(
        attempts.filter((a) => ours.has(a.endpointId) && a.httpStatus === 200).length,
        rows.length,
      );
    });
  });
}
