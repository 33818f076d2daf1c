/**
 * /v1/alerts and /v1/alert-webhooks through the real service on both engines: a webhook's secret is
 * shown once, its URL passes the egress guard, "send test" shows exactly what went out (signed JSON,
 * or Slack text); alerts list newest first, and an operator key sees only its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AlertRow } from "../../../src/app/alerts/alert-port.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { assertSignedWith, type Receiver, startReceiver } from "../delivery/delivery-kit.ts";
import { type Call, client, createWorld, expectStatus, type World } from "./admin-kit.ts";

const alertAbout = (operatorId: number, id: string, at: number): AlertRow => ({
  id,
  rule: "rejection_rate",
  subjectKind: "operator",
  subjectId: operatorId,
  subjectName: `Operator ${operatorId}`,
  state: "firing",
  since: at - 3_600_000,
  resolvedAt: null,
  figures: { rejected: 12, postbacks: 20, rate: 0.6, threshold: 0.25 },
  link: `/requests?operator=${operatorId}&outcome=rejected`,
  createdAt: at,
  updatedAt: at,
});

for (const engine of await availableEngines()) {
  describe(`alerts API (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let receiver: Receiver;
    let a: World;
    let b: World;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", ALERT_INTERVAL_MS: "0" });
      admin = client(t.url, t.adminKey);
      receiver = await startReceiver();
      a = await createWorld(t, "Alpha");
      b = await createWorld(t, "Beta");
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    test("a json webhook: secret shown once, send test signed; a slack one gets text", async () => {
      const created = await admin("POST", "/v1/alert-webhooks", {
        name: "on-call",
        url: `${receiver.url}/hook`,
      });
      expectStatus(created, 201);
      assert.equal(created.body.format, "json");
      assert.match(created.body.secret, /^whsec_/);
      const read = await admin("GET", `/v1/alert-webhooks/${created.body.id}`);
      expectStatus(read, 200);
      assert.equal(read.body.secret, undefined, "never shown again");
      assert.equal((await admin("GET", "/v1/alert-webhooks")).body.data[0].secret, undefined);

      const sent = await admin("POST", `/v1/alert-webhooks/${created.body.id}/test`);
      expectStatus(sent, 200);
      assert.equal(sent.body.ok, true);
      const hit = receiver.hits.at(-1)!;
      assertSignedWith(created.body.secret, hit);
      assert.equal(JSON.parse(hit.body).type, "alert.firing");

      const slack = await admin("POST", "/v1/alert-webhooks", {
        name: "#affiliates",
        url: `${receiver.url}/slack`,
        format: "slack",
      });
      expectStatus(slack, 201);
      expectStatus(await admin("POST", `/v1/alert-webhooks/${slack.body.id}/test`), 200);
      const text = JSON.parse(receiver.hits.at(-1)!.body).text as string;
      assert.match(text, /^:red_circle: \*Firing\* Operator Test operator/);

      const off = await admin("PATCH", `/v1/alert-webhooks/${slack.body.id}`, { status: "disabled" });
      expectStatus(off, 200);
      assert.equal(off.body.status, "disabled");
    });

    test("the egress guard refuses private and unparsable URLs", async () => {
      expectStatus(
        await admin("POST", "/v1/alert-webhooks", { name: "lan", url: "http://10.0.0.7/hook" }),
        400,
        "invalid_field",
      );
      expectStatus(
        await admin("POST", "/v1/alert-webhooks", { name: "bad", url: "ftp://example.com/x" }),
        400,
      );
      expectStatus(
        await admin("POST", "/v1/alert-webhooks", { name: "bad", url: "https://x", format: "sms" }),
        400,
      );
    });

    test("alerts newest first; an operator key sees its own only, and another's is a 404", async () => {
      const now = Date.now();
      await t.store.alerts.open(alertAbout(a.operator.id, "al_a", now - 1000), []);
      await t.store.alerts.open(alertAbout(b.operator.id, "al_b", now), []);
      const all = await admin("GET", "/v1/alerts?state=firing");
      expectStatus(all, 200);
      assert.deepEqual(
        all.body.data.map((x: { id: string }) => x.id),
        ["al_b", "al_a"],
      );
      assert.match(all.body.data[0].summary, /60 % of postbacks rejected \(12 of 20/);
      const paged = await admin("GET", "/v1/alerts?limit=1");
      assert.equal(paged.body.data[0].id, "al_b");
      const next = await admin("GET", `/v1/alerts?limit=1&cursor=${paged.body.next_cursor}`);
      assert.equal(next.body.data[0].id, "al_a");

      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      const mine = await operatorA("GET", "/v1/alerts");
      assert.deepEqual(
        mine.body.data.map((x: { id: string }) => x.id),
        ["al_a"],
      );
      expectStatus(await operatorA("GET", "/v1/alerts/al_b"), 404, "not_found");
      expectStatus(await operatorA("GET", "/v1/alerts/al_a"), 200);
      expectStatus(await operatorA("GET", "/v1/alert-webhooks"), 403, "forbidden");
      const affiliate = client(t.url, await t.key("affiliate", { affiliateId: a.affiliate.id }));
      expectStatus(await affiliate("GET", "/v1/alerts"), 403, "forbidden");
    });
  });
}
