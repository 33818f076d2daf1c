/**
 * The approval forwarder through the real service, on both engines: an FTD held for a day is
 * approved by the hold job (mocked clock) and reaches the endpoint subscribed to `approved` with
 * its payout; an endpoint not subscribed gets nothing; more rounds, and two forwarders racing as
 * two processes would, write no second message.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { createApprovalForwarder, FORWARD_DEFAULTS } from "../../../src/app/delivery/forward-approvals.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  convert,
  createWorld,
  expectStatus,
  type World,
} from "../http/admin-kit.ts";
import { allDelivered, type Receiver, startReceiver, until } from "./delivery-kit.ts";

const DAY = 86_400_000;
const TERMS = {
  cpa: { amountMinor: 12345, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
  holdDays: 1,
};

for (const engine of await availableEngines()) {
  describe(`approval forwarder (${engine})`, () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    let t: TestService;
    let admin: Call;
    let world: World;
    let approvals: Receiver;
    let created: Receiver;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" }, clock);
      admin = client(t.url, t.adminKey);
      world = await createWorld(t);
      [approvals, created] = await Promise.all([startReceiver(), startReceiver()]);
      const plan = { terms: TERMS, effective_from: "2000-01-01T00:00:00Z" };
      expectStatus(await admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
    });
    after(async () => {
      await Promise.all([approvals.close(), created.close()]);
      await t.close();
    });

    const endpoint = async (receiver: Receiver, statuses: string[]) =>
      expectStatus(
        await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: `${receiver.url}/pb?cv={conversion_id}&st={status}&p={payout}&c={currency}&s1={sub1}`,
          method: "GET",
          statuses,
        }),
        201,
      );

    test("an approval after the hold reaches the subscribed endpoint once, with its payout", async () => {
      await endpoint(approvals, ["approved"]);
      await endpoint(created, ["created", "reversed"]);
      const conversionId = await convert(t, world, await click(t, world));
      await until(() => created.hits.length === 1);
      assert.match(created.hits[0]!.url, /st=created/);
      assert.equal(approvals.hits.length, 0, "pending commission: nothing approved yet");

      offset += 2 * DAY;
      const ran = await admin("POST", "/v1/commissions/approve-due");
      assert.ok(ran.status < 300, JSON.stringify(ran.body));
      await until(() => approvals.hits.length === 1);
      const sent = new URL(approvals.hits[0]!.url, "http://x");
      assert.equal(sent.searchParams.get("cv"), conversionId);
      assert.equal(sent.searchParams.get("st"), "approved");
      assert.equal(sent.searchParams.get("p"), "123.45");
      assert.equal(sent.searchParams.get("c"), "EUR");

      // Two more rounds of two forwarders racing (as two processes would): nothing new.
      const racing = () => createApprovalForwarder({ store: t.store.deliveries, clock, ids: createIds() });
      const [a, b] = [racing(), racing()];
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(await Promise.all([a.tick(), b.tick()]), [0, 0]);
      }
      const rows = await t.store.deliveries.list({ conversionId });
      assert.deepEqual(rows.map((d) => d.status).sort(), ["approved", "created"]);
      await allDelivered(t.store, conversionId);
      assert.equal(approvals.hits.length, 1);
      assert.equal(created.hits.length, 1, "the endpoint not subscribed to approved got no approval");
    });

    test("a forwarder resumes across full batches and skips endpoints whose filters do not match", async () => {
      offset = 0; // operators sign with the real time
      expectStatus(
        await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: `${approvals.url}/other?cv={conversion_id}`,
          method: "GET",
          statuses: ["approved"],
          events: ["registration"],
        }),
        201,
      );
      const before = approvals.hits.length;
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await convert(t, world, await click(t, world)));
      offset += 2 * DAY;
      // A forwarder of batch 1 that started before these approvals, racing the service's own.
      const small = createApprovalForwarder(
        { store: t.store.deliveries, clock, ids: createIds() },
        { ...FORWARD_DEFAULTS, batch: 1 },
      );
      await admin("POST", "/v1/commissions/approve-due");
      for (let i = 0; i < 6; i++) await small.tick();
      await until(() => approvals.hits.length === before + 3);
      const urls = approvals.hits.slice(before).map((h) => h.url);
      assert.ok(
        urls.every((u) => u.startsWith("/pb?")),
        "the registration-only endpoint fired nothing",
      );
      assert.deepEqual(
        urls.map((u) => new URL(u, "http://x").searchParams.get("cv")).sort(),
        [...ids].sort(),
      );
    });
  });
}
