/**
 * A disabled endpoint's deliveries wait as `paused`, out of the dispatcher's due index, and are
 * pending again, as they were, when it is enabled (by hand or after an auto-disable); claimed rows
 * are left to finish; other endpoints' rows are untouched.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import type { NewDelivery } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { endpointInput } from "../delivery/delivery-kit.ts";

for (const engine of await availableEngines()) {
  describe(`paused deliveries (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
    });
    after(() => store.close());

    const enqueue = async (endpointId: number, n: number, tag = "first") => {
      const ids = createIds();
      const now = Date.now();
      const rows: NewDelivery[] = Array.from({ length: n }, (_, i) => ({
        id: ids.next("dl"),
        endpointId,
        affiliateId: f.affiliate.id,
        conversionId: `cv_pause_${tag}_${endpointId}_${i}`,
        status: "created",
        test: false,
        payload: {},
        runAt: now,
      }));
      await store.deliveries.enqueue(rows, now);
    };
    const states = async (endpointId: number) =>
      (await store.deliveries.list({ endpointId, limit: 1000 })).map((d) => d.state).sort();

    test("disabling pauses what waits, enabling resumes it; claims see only what can be sent", async () => {
      const a = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { name: "a" }),
        Date.now(),
      );
      const b = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, { name: "b" }),
        Date.now(),
      );
      await enqueue(a.id, 5);
      await enqueue(b.id, 2);
      const now = Date.now();
      const claim = (limit: number) =>
        store.deliveries.claim({
          workerId: "w",
          now,
          limit,
          staleBefore: now - 60_000,
          busyEndpoints: [],
          perEndpoint: 100,
        });
      // One of a's is claimed (in flight): it is left to finish, not paused.
      const [inFlight] = await store.deliveries.claim({
        workerId: "w",
        now,
        limit: 1,
        staleBefore: now - 60_000,
        busyEndpoints: [b.id],
        perEndpoint: 100,
      });
      assert.equal(inFlight?.endpointId, a.id);

      await store.deliveries.endpoints.update(a.id, { status: "disabled" }, Date.now());
      assert.deepEqual(await states(a.id), ["paused", "paused", "paused", "paused", "pending"]);
      assert.deepEqual(await states(b.id), ["pending", "pending"]);
      assert.deepEqual(
        (await claim(100)).map((d) => d.endpointId),
        [b.id, b.id],
      );

      await store.deliveries.endpoints.update(a.id, { status: "active" }, Date.now());
      assert.deepEqual(await states(a.id), ["pending", "pending", "pending", "pending", "pending"]);
      assert.equal((await claim(100)).length, 4, "a's paused deliveries are due again");

      // An auto-disable (410, a run of failures) pauses the same way.
      await enqueue(a.id, 3, "later");
      await store.deliveries.endpoints.disable(a.id, "The endpoint answered 410 Gone.", Date.now());
      assert.equal((await states(a.id)).filter((s) => s === "paused").length, 3);
    });
  });
}
