/**
 * Manual adjustments forwarded to affiliates (docs/outbound.md) through the real service, on both
 * engines, to real receivers on 127.0.0.1: an adjustment by amount arrives as `adjusted` and a
 * reject as `rejected`, with the payout delta, the new total, the reason code and the click id;
 * only endpoints subscribed to those statuses get them; the delivery id is the same on a replay;
 * a retried request (same idempotency key) writes no second message; and an adjustment that fails
 * or is rolled back leaves no outbox row.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { createIds } from "../../../src/adapters/clock-and-ids.ts";
import { forwardAdjustment } from "../../../src/app/delivery/forward-adjustment.ts";
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
import { allDelivered, type Hit, type Receiver, startReceiver, until } from "./delivery-kit.ts";

const TERMS = {
  cpa: { amountMinor: 12345, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
};
const TEMPLATE =
  "/pb?st={status}&p={payout}&tp={total_payout}&c={currency}&r={reason}&cid={click_id}&cv={conversion_id}&ev={event}&dl={delivery_id}";

const paramsOf = (hit: Hit) => Object.fromEntries(new URL(hit.url, "http://x").searchParams);
const byStatus = (r: Receiver, status: string) => r.hits.filter((h) => paramsOf(h)["st"] === status);

for (const engine of await availableEngines()) {
  describe(`manual adjustments forwarded (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    let subscribed: Receiver;
    let legacy: Receiver;
    let signed: Receiver;
    let secret: string;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" });
      admin = client(t.url, t.adminKey);
      world = await createWorld(t);
      [subscribed, legacy, signed] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
      const plan = { terms: TERMS, effective_from: "2000-01-01T00:00:00Z" };
      expectStatus(await admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
      const endpoint = async (receiver: Receiver, extra: Record<string, unknown>) => {
        const reply = await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: `${receiver.url}${TEMPLATE}`,
          method: "GET",
          ...extra,
        });
        expectStatus(reply, 201);
        return reply.body;
      };
      await endpoint(subscribed, { statuses: ["rejected", "adjusted"] });
      // As endpoints stored before adjustments were forwarded: they keep exactly what they list.
      await endpoint(legacy, { statuses: ["created", "reversed"] });
      const defaults = await endpoint(signed, { method: "POST" });
      assert.deepEqual(defaults.statuses, ["created", "reversed", "rejected", "adjusted"]);
      secret = defaults.secret;
    });
    after(async () => {
      await Promise.all([subscribed.close(), legacy.close(), signed.close()]);
      await t.close();
    });

    const adjust = (id: string, body: unknown) => admin("POST", `/v1/conversions/${id}/adjustments`, body);
    const outbox = async (conversionId: string) =>
      (await t.store.deliveries.list({ conversionId })).map((d) => d.status).sort();

    test("an adjustment arrives as `adjusted`, a reject as `rejected`, with delta, total, reason and click id", async () => {
      const clickId = await click(t, world);
      const id = await convert(t, world, clickId);
      expectStatus(await adjust(id, { action: "adjust", reason_code: "goodwill", amount_minor: 2550 }), 201);
      await until(() => byStatus(subscribed, "adjusted").length === 1);
      const adjusted = paramsOf(byStatus(subscribed, "adjusted")[0]!);
      assert.deepEqual(
        [
          adjusted["p"],
          adjusted["tp"],
          adjusted["c"],
          adjusted["r"],
          adjusted["cid"],
          adjusted["cv"],
          adjusted["ev"],
        ],
        ["25.50", "148.95", "EUR", "goodwill", clickId, id, "ftd"],
      );

      expectStatus(await adjust(id, { action: "reject", reason_code: "fraud", note: "same device" }), 201);
      await until(() => byStatus(subscribed, "rejected").length === 1);
      const rejected = paramsOf(byStatus(subscribed, "rejected")[0]!);
      assert.deepEqual(
        [rejected["p"], rejected["tp"], rejected["r"], rejected["cid"], rejected["cv"]],
        ["-148.95", "0.00", "fraud", clickId, id],
        "the whole remaining commission is taken back",
      );
      assert.equal(subscribed.hits.length, 2, "created is not among its statuses");

      // The default endpoint (POST, signed) gets created, adjusted and rejected.
      await until(() => signed.hits.length === 3);
      const bodies = signed.hits.map((h) => JSON.parse(h.body) as Record<string, string>);
      assert.deepEqual(bodies.map((b) => b["status"]).sort(), ["adjusted", "created", "rejected"]);
      const body = bodies.find((b) => b["status"] === "rejected")!;
      assert.deepEqual([body["payout"], body["total_payout"], body["reason"]], ["-148.95", "0.00", "fraud"]);
      const hit = signed.hits.find((h) => JSON.parse(h.body)["status"] === "rejected")!;
      assert.equal(hit.headers["webhook-id"], body["delivery_id"]);
      new Webhook(secret.replace(/^whsec_/, "")).verify(hit.body, hit.headers as Record<string, string>);

      await allDelivered(t.store, id);
      assert.deepEqual(
        legacy.hits.map((h) => paramsOf(h)["st"]),
        ["created"],
        "an endpoint not subscribed to rejected/adjusted gets neither",
      );
      // One outbox row per (endpoint, adjustment); no approval is forwarded for a manual line.
      assert.deepEqual(await outbox(id), [
        "adjusted",
        "adjusted",
        "created",
        "created",
        "rejected",
        "rejected",
      ]);
    });

    test("a replay sends the same delivery id; two adjustments of one conversion are two messages", async () => {
      const id = await convert(t, world, await click(t, world));
      const seen = subscribed.hits.length;
      expectStatus(await adjust(id, { action: "adjust", reason_code: "other", amount_minor: -345 }), 201);
      expectStatus(await adjust(id, { action: "adjust", reason_code: "other", amount_minor: -345 }), 201);
      await until(() => subscribed.hits.length === seen + 2);
      const [first, second] = subscribed.hits.slice(seen).map(paramsOf);
      assert.deepEqual([first!["p"], second!["p"]], ["-3.45", "-3.45"]);
      assert.deepEqual([first!["tp"], second!["tp"]].sort(), ["116.55", "120.00"]);
      assert.notEqual(first!["dl"], second!["dl"]);

      expectStatus(await admin("POST", `/v1/deliveries/${first!["dl"]}/replay`), 200);
      await until(() => subscribed.hits.length === seen + 3);
      assert.equal(paramsOf(subscribed.hits.at(-1)!)["dl"], first!["dl"], "stable across replays");
    });

    test("a retried request (same idempotency key) writes no second adjustment or message", async () => {
      const id = await convert(t, world, await click(t, world));
      const seen = subscribed.hits.length;
      const body = {
        action: "adjust",
        reason_code: "goodwill",
        amount_minor: 1000,
        idempotency_key: "req-1",
      };
      const first = await adjust(id, body);
      expectStatus(first, 201);
      const again = await adjust(id, body);
      expectStatus(again, 201);
      assert.equal(again.body.adjustment.id, first.body.adjustment.id, "the first answer again");
      assert.deepEqual(
        again.body.entries.map((e: { id: string }) => e.id),
        first.body.entries.map((e: { id: string }) => e.id),
      );
      expectStatus(await adjust(id, { ...body, amount_minor: 2000 }), 409, "conflict", "idempotency_key");
      // A reject retried without a key: nothing is left, 409, nothing written.
      expectStatus(await adjust(id, { action: "reject", reason_code: "fraud" }), 201);
      expectStatus(await adjust(id, { action: "reject", reason_code: "fraud" }), 409, "conflict");
      await until(() => subscribed.hits.length === seen + 2);
      await allDelivered(t.store, id);
      assert.deepEqual(
        subscribed.hits.slice(seen).map((h) => paramsOf(h)["st"]),
        ["adjusted", "rejected"],
      );
      const listed = await admin("GET", `/v1/conversions/${id}/adjustments`);
      assert.equal(listed.body.data.length, 2);
      assert.deepEqual(
        (await outbox(id)).filter((s) => s === "adjusted" || s === "rejected"),
        ["adjusted", "adjusted", "rejected", "rejected"],
      );
    });

    test("a failed or rolled-back adjustment writes no outbox row", async () => {
      const id = await convert(t, world, await click(t, world));
      const rows = await outbox(id);
      expectStatus(
        await adjust(id, { action: "adjust", reason_code: "other" }),
        400,
        "invalid_field",
        "amount_minor",
      );
      expectStatus(await adjust(id, { action: "adjust", reason_code: "because", amount_minor: 5 }), 400);
      assert.deepEqual(await outbox(id), rows);

      // The real forwarding effect writes its messages, then the transaction fails: nothing stays.
      const conversion = (await t.store.getConversion(id))!;
      const effect = forwardAdjustment({ clock: { now: () => Date.now() }, ids: createIds() }, conversion);
      let enqueued = 0;
      await assert.rejects(
        t.store.commissions.adjustConversion(
          id,
          () => ({
            adjustment: {
              id: "adj_rolledback",
              conversionId: id,
              action: "adjust",
              reasonCode: "other",
              note: null,
              amountMinor: 0,
              currency: "EUR",
              entries: 0,
              createdByKeyId: null,
              createdAt: Date.now(),
            },
            entries: [],
          }),
          {
            effect: async (outboxTx, result) => {
              const counted = {
                ...outboxTx,
                enqueue: async (rows: Parameters<typeof outboxTx.enqueue>[0], now: number) => {
                  await outboxTx.enqueue(rows, now);
                  enqueued += rows.length;
                },
              };
              await effect(counted, result);
              throw new Error("storage failed after the messages were written");
            },
          },
        ),
        /storage failed/,
      );
      assert.equal(await outbox(id).then((r) => r.length), rows.length, "no outbox row kept");
      assert.deepEqual(
        (await admin("GET", `/v1/conversions/${id}/adjustments`)).body.data,
        [],
        "nor the adjustment",
      );
      assert.equal(enqueued, 2, "the effect did write its messages (subscribed and default endpoints)");
      await allDelivered(t.store, id);
      assert.equal(
        subscribed.hits.filter((h) => paramsOf(h)["cv"] === id).length,
        0,
        "nothing was sent for it",
      );
    });
  });
}
