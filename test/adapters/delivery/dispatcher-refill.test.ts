/**
 * The dispatcher's group commit and refill on both engines: a backlog far larger than the
 * concurrency drains without waiting for the poll interval (each committed batch of outcomes
 * claims the slots it frees), every delivery is sent once with its attempt logged, and the
 * per-endpoint cap still holds.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDispatcher } from "../../../src/adapters/delivery/dispatcher.ts";
import { createIds, systemClock } from "../../../src/adapters/system.ts";
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
        { concurrency: 8, perEndpoint: 3, intervalMs: 60_000, leaseMs: 60_000, releaseAtStart: false },
      );
      await dispatcher.start();
      await until(() => receiver.hits.length >= rows.length, "every row to be sent");
      await dispatcher.stop();
      await receiver.close();
      assert.equal(receiver.hits.length, rows.length);
      assert.equal(new Set(receiver.hits.map((h) => h.url)).size, rows.length, "each sent once");
      assert.ok(most <= 6, `per-endpoint cap 3 × 2 endpoints held (saw ${most} in flight)`);
      const delivered = await store.deliveries.list({ state: "delivered", limit: 1000 });
      assert.equal(delivered.length, rows.length);
      const attempts = await store.deliveries.attempts({ limit: 1000 });
      assert.equal(attempts.filter((a) => a.httpStatus === 200).length, rows.length);
    });
  });
}
