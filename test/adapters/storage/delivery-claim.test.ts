/**
 * The dispatcher's storage hot path on both engines: a claim takes each endpoint's due rows in
 * (run_at, id) order with their endpoint, up to the endpoint's room, for the endpoints asked (all
 * active ones otherwise) in turn from a rotation point, skips rows held by a live claim and retakes
 * expired ones; a batch of outcomes is written in one go, only where the worker still holds the
 * claim, with its attempt-log rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { deliverPostback } from "../../../src/app/delivery/deliver-postback.ts";
import type { ClaimRequest, FinishItem } from "../../../src/app/delivery/delivery-store-port.ts";
import type { Endpoint, NewDelivery } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { endpointInput } from "../delivery/delivery-kit.ts";

const T = Date.UTC(2026, 6, 1);

for (const engine of await availableEngines()) {
  describe(`delivery claims and batched outcomes (${engine})`, () => {
    let store: Store & { url: string };
    let f: Fixture;
    let serial = 0;
    before(async () => {
      store = await createTestStore(engine);
      f = await createFixture(store);
    });
    after(() => store.close());

    const endpoint = (name: string, status: "active" | "disabled" = "active"): Promise<Endpoint> =>
      store.deliveries.endpoints.create(
        endpointInput(f.affiliate.id, {
          name,
          urlTemplate: `https://${name}.example/pb?id={delivery_id}`,
          method: "POST",
          status,
        }),
        T,
      );

    /** `count` due rows of an endpoint, due at `runAt` (ids in creation order). */
    async function due(ep: Endpoint, count: number, runAt: number): Promise<string[]> {
      const rows: NewDelivery[] = Array.from({ length: count }, () => {
        const n = String(serial++).padStart(4, "0");
        return {
          id: `dl_claim_${engine}_${n}`,
          endpointId: ep.id,
          affiliateId: f.affiliate.id,
          conversionId: `cv_claim_${n}`,
          status: "created",
          test: false,
          payload: { click_id: `c${n}` },
          runAt,
        };
      });
      await store.deliveries.enqueue(rows, runAt);
      return rows.map((r) => r.id);
    }

    const request = (patch: Partial<ClaimRequest> = {}): ClaimRequest => ({
      workerId: "w1",
      now: T + 1000,
      limit: 10,
      staleBefore: T + 1000 - 60_000,
      busyEndpoints: [],
      perEndpoint: 10,
      ...patch,
    });

    /** Leaves no claim behind and nothing due, for the next test. */
    async function settle(workerId: string, ids: readonly string[]) {
      const items: FinishItem[] = ids.map((id) => ({
        id,
        workerId,
        outcome: { state: "dead", runAt: T, lastError: "test", lastStatus: null, deliveredAt: null },
        attempt: null,
        now: T,
      }));
      await store.deliveries.finishAndClaim(items, null);
    }

    test("claims in (run_at, id) order with the endpoint, capped per endpoint past the first page", async () => {
      const a = await endpoint("a");
      const b = await endpoint("b");
      const off = await endpoint("off", "disabled");
      const early = await due(a, 6, T);
      const later = await due(b, 3, T + 1);
      await due(off, 2, T);
      const claimed = await store.deliveries.claim(request({ limit: 4, perEndpoint: 2 }));
      // The first page (4 rows of a) holds only 2 takeable rows: b's come from reading further.
      assert.deepEqual(
        claimed.map((d) => d.id),
        [early[0], early[1], later[0], later[1]],
      );
      const [first] = claimed;
      assert.equal(first!.attempts, 1, "the attempt is counted by the claim");
      assert.deepEqual(first!.payload, { click_id: "c0000" });
      assert.deepEqual(first!.endpoint, {
        id: a.id,
        urlTemplate: a.urlTemplate,
        method: "POST",
        secret: a.secret,
        previousSecret: null,
        previousSecretExpiresAt: null,
        status: "active",
        consecutiveFailures: 0,
      });
      const row = await store.deliveries.get(first!.id);
      assert.deepEqual([row!.lockedBy, row!.lockedAt], ["w1", T + 1000]);

      // Held rows are skipped; in-flight counts and busy endpoints limit the next claim.
      const next = await store.deliveries.claim(
        request({ workerId: "w2", perEndpoint: 3, inFlight: new Map([[a.id, 2]]), busyEndpoints: [b.id] }),
      );
      assert.deepEqual(
        next.map((d) => d.id),
        [early[2]],
      );
      await settle(
        "w1",
        claimed.map((d) => d.id),
      );
      await settle("w2", [early[2]!]);
      await settle(
        "w3",
        (await store.deliveries.claim(request({ workerId: "w3", limit: 100 }))).map((d) => d.id),
      );
    });

    test("a claim reads only the endpoints asked for, in turn from the rotation point, each up to its room", async () => {
      const a = await endpoint("ra");
      const b = await endpoint("rb");
      const c = await endpoint("rc");
      const ofA = await due(a, 5, T - 10); // the oldest: a scan in due order would read them first
      const ofB = await due(b, 2, T);
      const ofC = await due(c, 2, T);
      const only = await store.deliveries.claim(request({ endpoints: [b.id], limit: 10 }));
      assert.deepEqual(
        only.map((d) => d.id),
        ofB,
      );
      await settle(
        "w1",
        only.map((d) => d.id),
      );
      await due(b, 2, T);
      // a is at its cap (busy): not read at all; c before b when the rotation starts after b.
      const rotated = await store.deliveries.claim(
        request({ endpoints: [a.id, b.id, c.id], busyEndpoints: [a.id], rotateAfter: b.id, limit: 3 }),
      );
      assert.deepEqual(
        rotated.map((d) => d.endpointId),
        [c.id, c.id, b.id],
      );
      // Each endpoint up to its room: a has 2 in flight under a cap of 3.
      const capped = await store.deliveries.claim(
        request({ endpoints: [a.id], caps: new Map([[a.id, 3]]), inFlight: new Map([[a.id, 2]]) }),
      );
      assert.deepEqual(
        capped.map((d) => d.id),
        [ofA[0]],
      );
      await settle(
        "w1",
        [...rotated, ...capped].map((d) => d.id),
      );
      await settle(
        "w1",
        (await store.deliveries.claim(request({ limit: 100 }))).map((d) => d.id),
      );
      assert.deepEqual(ofC.length, 2);
    });

    test("an expired claim is taken again; a batch records outcomes only under the holder's claim", async () => {
      const ep = await endpoint("c");
      const ids = await due(ep, 3, T);
      const first = await store.deliveries.claim(request({ limit: 3 }));
      assert.equal(first.length, 3);
      // Lease over: another worker takes the first row again (its process is presumed dead).
      const later = T + 1000 + 120_000;
      await settle("w1", [ids[1]!, ids[2]!]);
      const retaken = await store.deliveries.claim(
        request({ workerId: "w2", now: later, staleBefore: later - 60_000, limit: 3 }),
      );
      assert.deepEqual(
        retaken.map((d) => [d.id, d.attempts]),
        [[ids[0], 2]],
      );
      const attempt = (id: string, n: number) => ({
        id: `da_claim_${engine}_${id}_${n}`,
        deliveryId: id,
        endpointId: ep.id,
        attempt: n,
        startedAt: later,
        method: "POST" as const,
        url: "https://c.example/pb",
        httpStatus: 200,
        latencyMs: 4,
        error: null,
        detail: null,
        responseSnippet: "ok",
      });
      const delivered = {
        state: "delivered",
        runAt: later,
        lastError: null,
        lastStatus: 200,
        deliveredAt: later,
      } as const;
      // The late first worker's outcome is logged but does not overwrite the second worker's claim.
      const both = [
        { id: ids[0]!, workerId: "w1", outcome: delivered, attempt: attempt(ids[0]!, 1), now: later },
        { id: ids[0]!, workerId: "w2", outcome: delivered, attempt: attempt(ids[0]!, 2), now: later + 1 },
      ];
      await store.deliveries.finishAndClaim(both, null);
      // The same batch again, as the dispatcher retries it after losing the answer to its COMMIT.
      await store.deliveries.finishAndClaim(both, null);
      const row = await store.deliveries.get(ids[0]!);
      assert.deepEqual(
        [row!.state, row!.deliveredAt, row!.updatedAt, row!.lockedBy, row!.lastStatus],
        ["delivered", later, later + 1, null, 200],
      );
      const log = await store.deliveries.attempts({ deliveryId: ids[0]! });
      assert.deepEqual(log.map((a) => a.attempt).sort(), [1, 2]);
      const pending = {
        state: "pending",
        runAt: later + 5000,
        lastError: "HTTP 500",
        lastStatus: 500,
        deliveredAt: null,
      } as const;
      await store.deliveries.finishAndClaim(
        [{ id: ids[1]!, workerId: "w1", outcome: pending, attempt: null, now: later }],
        null,
      );
      assert.equal((await store.deliveries.get(ids[1]!))!.state, "dead", "w1 no longer holds it");
    });

    test("a rotation writes over the secret it read only; a claim reads the previous secret too", async () => {
      const ep = await endpoint("r");
      const next = {
        secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        previousSecret: ep.secret,
        previousSecretExpiresAt: T + 3_600_000,
      };
      const stale = await store.deliveries.endpoints.replaceSecrets(ep.id, "whsec_other", next, T + 10);
      assert.equal(stale, undefined, "another rotation came first: nothing written");
      assert.equal((await store.deliveries.endpoints.get(ep.id))!.secret, ep.secret);
      const rotated = await store.deliveries.endpoints.replaceSecrets(ep.id, ep.secret, next, T + 10);
      assert.deepEqual(
        [rotated!.secret, rotated!.previousSecret, rotated!.previousSecretExpiresAt, rotated!.updatedAt],
        [next.secret, ep.secret, T + 3_600_000, T + 10],
      );
      assert.deepEqual(
        (await store.deliveries.endpoints.list({ affiliateId: f.affiliate.id })).find((e) => e.id === ep.id),
        rotated,
      );
      const [id] = await due(ep, 1, T);
      const [claimed] = await store.deliveries.claim(request());
      assert.equal(claimed!.id, id);
      assert.deepEqual(
        [
          claimed!.endpoint.secret,
          claimed!.endpoint.previousSecret,
          claimed!.endpoint.previousSecretExpiresAt,
        ],
        [next.secret, ep.secret, T + 3_600_000],
      );
      await settle("w1", [id!]);
    });

    test("a claim whose endpoint was disabled meanwhile goes back to waiting, unsent and unlogged", async () => {
      const ep = await endpoint("raced");
      const [id] = await due(ep, 1, T);
      const [claimed] = await store.deliveries.claim(request());
      assert.equal(claimed!.id, id);
      const clock = { now: () => T + 2000 };
      await deliverPostback(
        {
          store: store.deliveries,
          sender: {
            send: () => Promise.reject(new Error("a disabled endpoint must not be called")),
          },
          clock,
          ids: createIds(clock),
          schedule: () => null,
          sendOptions: { connectTimeoutMs: 1000, responseTimeoutMs: 1000, deadlineMs: 1000 },
          failureThreshold: 0,
          workerId: "w1",
        },
        // As PostgreSQL may read it: disabled by another process after the row was chosen.
        { ...claimed!, endpoint: { ...claimed!.endpoint, status: "disabled" } },
      );
      const row = await store.deliveries.get(id!);
      assert.deepEqual(
        [row!.state, row!.runAt, row!.lockedBy, row!.lastError],
        ["pending", T + 2000, null, null],
      );
      assert.equal(row!.attempts, 0, "nothing was sent: the attempt the claim counted is given back");
      assert.deepEqual(await store.deliveries.attempts({ deliveryId: id! }), []);
      await store.deliveries.endpoints.disable(ep.id, "test over", T); // nothing due is left behind
    });
  });
}
