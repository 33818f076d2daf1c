/**
 * Delivery retention on both engines: attempt-log rows and delivered deliveries older than the
 * cutoff are deleted in chunks; pending and dead deliveries (kept for replay) and newer rows stay.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Attempt, NewDelivery } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { endpointInput } from "./delivery-kit.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

for (const engine of await availableEngines()) {
  describe(`delivery retention (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
    });
    after(() => store.close());

    /** A delivery finished in `state` at `at`, with one attempt started then. */
    async function finished(
      endpointId: number,
      n: number,
      state: "delivered" | "dead" | "pending",
      at: number,
    ) {
      const row: NewDelivery = {
        id: `dl_ret_${engine}_${n}`,
        endpointId,
        affiliateId: f.affiliate.id,
        conversionId: `cv_ret_${n}`,
        status: "created",
        test: false,
        payload: {},
        runAt: at,
      };
      await store.deliveries.enqueue([row], at);
      const [claimed] = await store.deliveries.claim({
        workerId: "w",
        now: at,
        limit: 1,
        staleBefore: at - 1,
        busyEndpoints: [],
        perEndpoint: 1,
      });
      assert.equal(claimed?.id, row.id);
      const attempt: Attempt = {
        id: `da_ret_${engine}_${n}`,
        deliveryId: row.id,
        endpointId,
        attempt: 1,
        startedAt: at,
        method: "GET",
        url: "https://a.example/",
        httpStatus: state === "delivered" ? 200 : 500,
        latencyMs: 3,
        error: null,
        detail: null,
        responseSnippet: "",
      };
      // A pending one waits for a retry far ahead, so later claims pass it by.
      const runAt = state === "pending" ? NOW + 100 * DAY : at;
      const outcome = {
        state,
        runAt,
        lastError: null,
        lastStatus: 200,
        deliveredAt: state === "delivered" ? at : null,
      };
      await store.deliveries.finish(row.id, "w", outcome, attempt, at);
    }

    test("old attempts and delivered deliveries go, in chunks; pending, dead and recent ones stay", async () => {
      const endpoint = await store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, {
          name: "retention",
          urlTemplate: "https://a.example/?id={delivery_id}",
        }),
        NOW - 100 * DAY,
      );
      const old = NOW - 40 * DAY;
      for (let n = 0; n < 5; n++) await finished(endpoint.id, n, "delivered", old + n);
      await finished(endpoint.id, 5, "dead", old);
      await finished(endpoint.id, 6, "pending", old);
      await finished(endpoint.id, 7, "delivered", NOW - DAY);

      const removed = await store.deliveries.prune(NOW - 30 * DAY, 2);
      assert.deepEqual(removed, { attempts: 7, deliveries: 5 });
      const left = await store.deliveries.list({ endpointId: endpoint.id });
      assert.deepEqual(left.map((d) => d.id.slice(-1)).sort(), ["5", "6", "7"]);
      const attempts = await store.deliveries.attempts({ endpointId: endpoint.id });
      assert.deepEqual(
        attempts.map((a) => a.deliveryId.slice(-1)),
        ["7"],
      );
      assert.deepEqual(await store.deliveries.prune(NOW - 30 * DAY, 2), { attempts: 0, deliveries: 0 });
    });
  });
}
