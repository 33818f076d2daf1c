/**
 * /v1/endpoints, /v1/deliveries, /v1/delivery-attempts and /metrics over the real service, on both
 * engines: template validation, the egress guard at save time, scoping, send test, and a
 * conversion posted by an operator reaching a local receiver through the running dispatcher.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { type Receiver, startReceiver, until } from "../delivery/delivery-kit.ts";
import { type Call, click, client, convert, createWorld, expectStatus, type World } from "./admin-kit.ts";

for (const engine of await availableEngines()) {
  describe(`outbound endpoints API (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    let receiver: Receiver;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" });
      admin = client(t.url, t.adminKey);
      world = await createWorld(t);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    test("unknown macros are refused with the valid ones; blocked destinations too", async () => {
      const misspelt = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template: "https://aff.example/pb?cid={clickid}",
      });
      expectStatus(misspelt, 400, "invalid_field", "url_template");
      assert.match(misspelt.body.message, /unknown macro \{clickid\}; valid macros are: \{click_id\}/);
      assert.match(misspelt.body.message, /\{delivery_id\}/);
      const internal = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template: "http://169.254.169.254/latest?cid={click_id}",
      });
      expectStatus(internal, 400, "invalid_field", "url_template");
      expectStatus(
        await admin("POST", "/v1/endpoints", { url_template: "https://a.example/" }),
        400,
        "missing_field",
      );
    });

    test("affiliate keys manage their own endpoints; operator keys none", async () => {
      const own = client(t.url, await t.key("affiliate", { affiliateId: world.affiliate.id }));
      const created = await own("POST", "/v1/endpoints", {
        url_template: `${receiver.url}/own?c={click_id}`,
      });
      expectStatus(created, 201);
      assert.match(created.body.secret, /^whsec_/);
      assert.equal(created.body.affiliate_id, world.affiliate.id);
      const other = await admin("POST", "/v1/affiliates", { name: "other" });
      const url_template = `${receiver.url}/foreign`;
      expectStatus(
        await own("POST", "/v1/endpoints", { affiliate_id: other.body.id, url_template }),
        403,
        "forbidden",
      );
      const foreign = await admin("POST", "/v1/endpoints", {
        affiliate_id: other.body.id,
        url_template,
        status: "disabled",
      });
      expectStatus(foreign, 201);
      expectStatus(await own("GET", `/v1/endpoints/${foreign.body.id}`), 404, "not_found");
      const operator = client(t.url, await t.key("operator", { operatorId: world.operator.id }));
      expectStatus(await operator("GET", "/v1/endpoints"), 403, "forbidden");
      const listed = await own("GET", "/v1/endpoints");
      assert.deepEqual(
        listed.body.data.map((e: { id: number }) => e.id),
        [created.body.id],
      );
      const off = await own("PATCH", `/v1/endpoints/${created.body.id}`, { status: "disabled" });
      expectStatus(off, 200);
      assert.equal(off.body.status, "disabled");
      assert.equal(off.body.disabled_reason, "Disabled by hand.");
      assert.notEqual(off.body.disabled_at, null);
      const again = await own("PATCH", `/v1/endpoints/${created.body.id}`, { status: "disabled" });
      assert.equal(again.body.disabled_at, off.body.disabled_at, "disabling twice keeps the first record");
      const on = await own("PATCH", `/v1/endpoints/${created.body.id}`, { status: "active" });
      assert.equal(on.body.disabled_reason, null);
      expectStatus(await own("PATCH", `/v1/endpoints/${created.body.id}`, { status: "disabled" }), 200);
    });

    test("an endpoint created disabled records why and when, like one disabled later", async () => {
      const url_template = `${receiver.url}/created-off?id={delivery_id}`;
      const created = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template,
        status: "disabled",
      });
      expectStatus(created, 201);
      assert.equal(created.body.status, "disabled");
      assert.equal(created.body.disabled_reason, "Created disabled.");
      assert.equal(created.body.disabled_at, created.body.created_at);
      const shown = await admin("GET", `/v1/endpoints/${created.body.id}`);
      assert.deepEqual(
        [shown.body.disabled_reason, shown.body.disabled_at],
        ["Created disabled.", created.body.created_at],
      );
      const again = await admin("PATCH", `/v1/endpoints/${created.body.id}`, { status: "disabled" });
      expectStatus(again, 200);
      assert.deepEqual(
        [again.body.disabled_reason, again.body.disabled_at],
        ["Created disabled.", created.body.created_at],
        "disabling it again keeps the first record",
      );
      const on = await admin("PATCH", `/v1/endpoints/${created.body.id}`, { status: "active" });
      assert.deepEqual(
        [on.body.status, on.body.disabled_reason, on.body.disabled_at],
        ["active", null, null],
      );
      const active = await admin("POST", "/v1/endpoints", { affiliate_id: world.affiliate.id, url_template });
      expectStatus(active, 201);
      assert.deepEqual([active.body.disabled_reason, active.body.disabled_at], [null, null]);
      expectStatus(await admin("PATCH", `/v1/endpoints/${active.body.id}`, { status: "disabled" }), 200);
      expectStatus(await admin("PATCH", `/v1/endpoints/${created.body.id}`, { status: "disabled" }), 200);
    });

    test("send test fires a sample and shows the full result", async () => {
      const ep = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template: `${receiver.url}/test?e={event}&d={delivery_id}`,
        method: "POST",
        status: "disabled",
      });
      expectStatus(ep, 201);
      const result = await admin("POST", `/v1/endpoints/${ep.body.id}/test`);
      expectStatus(result, 200);
      assert.equal(result.body.ok, true);
      assert.equal(result.body.status, 200);
      assert.equal(result.body.response_snippet, "ok");
      assert.ok(result.body.request.headers["webhook-signature"].startsWith("v1,"));
      assert.match(result.body.request.url, /\/test\?e=ftd&d=dl_/);
    });

    test("a conversion reaches the endpoint; deliveries, attempts, replay and metrics show it", async () => {
      const ep = await admin("POST", "/v1/endpoints", {
        affiliate_id: world.affiliate.id,
        url_template: `${receiver.url}/live?cid={click_id}&s1={sub1}&id={delivery_id}&st={status}`,
      });
      expectStatus(ep, 201);
      const before = receiver.hits.length;
      const clickId = await click(t, world);
      const conversionId = await convert(t, world, clickId);
      const live = () => receiver.hits.slice(before).filter((h) => h.url.startsWith("/live"));
      await until(async () => live().length > 0);
      const hit = new URL(live()[0]!.url, receiver.url);
      assert.equal(hit.pathname, "/live");
      assert.equal(hit.searchParams.get("cid"), clickId);
      assert.equal(hit.searchParams.get("st"), "created");
      const list = await admin("GET", `/v1/deliveries?endpoint_id=${ep.body.id}`);
      expectStatus(list, 200);
      const [delivery] = list.body.data;
      assert.equal(delivery.conversion_id, conversionId);
      assert.equal(hit.searchParams.get("id"), delivery.id);
      await until(
        async () => (await admin("GET", `/v1/deliveries/${delivery.id}`)).body.state === "delivered",
      );
      const one = await admin("GET", `/v1/deliveries/${delivery.id}`);
      assert.equal(one.body.attempts.length, 1);
      assert.equal(one.body.attempts[0].http_status, 200);
      const attempts = await admin("GET", `/v1/delivery-attempts?endpoint_id=${ep.body.id}`);
      assert.equal(attempts.body.data.length, 1);

      expectStatus(await admin("POST", `/v1/deliveries/${delivery.id}/replay`), 200);
      await until(async () => receiver.hits.filter((h) => h.url.includes(delivery.id)).length === 2);
      // The hit lands before the dispatcher records the answer: wait for it to be delivered again.
      await until(
        async () => (await admin("GET", `/v1/deliveries/${delivery.id}`)).body.state === "delivered",
      );
      const bulk = await admin("POST", "/v1/deliveries/replay", {
        endpoint_id: ep.body.id,
        states: ["delivered"],
      });
      expectStatus(bulk, 200);
      assert.equal(bulk.body.replayed, 1);

      const metrics = await fetch(`${t.url}/metrics`);
      const text = await metrics.text();
      assert.match(text, /postwire_delivery_attempts_total\{result="ok"\} \d+/);
      assert.match(text, /postwire_delivery_due_backlog \d+/);
    });
  });
}
