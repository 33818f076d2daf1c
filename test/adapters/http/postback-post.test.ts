/** POST postbacks (JSON and form) with Standard Webhooks headers that must be accepted. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { signingVectors } from "../../helpers/signing-vectors.ts";
import { clockFrom, type KitService, signedPost, startKitService } from "./postback-kit.ts";

const vectors = signingVectors;

for (const engine of await availableEngines()) {
  describe(`POST signing vectors over HTTP (${engine})`, { timeout: 60_000 }, () => {
    let k: KitService;
    before(async () => {
      k = await startKitService(engine, { clock: clockFrom(1_795_000_000_000) });
    });
    after(() => k?.close());

    test("every vector's headers and body are accepted byte for byte", async () => {
      const f = await createFixture(k.store, { auth: { hmacSecrets: [vectors.secret] } });
      for (const c of vectors.post.cases) {
        const response = await fetch(`${k.url}/v1/postback/${f.operator.key}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "webhook-id": c["webhook-id"],
            "webhook-timestamp": c["webhook-timestamp"],
            "webhook-signature": c["webhook-signature"],
          },
          body: c.body,
        });
        const text = await response.text();
        assert.equal(response.status, 200, text);
        assert.equal(JSON.parse(text).code, "accepted");
      }
      const rows = await k.store.listConversions({ operatorId: f.operator.id });
      const chargeback = rows.find((r) => r.txid === "cb-77");
      assert.equal(chargeback?.amountMinor, 4025);
      assert.deepEqual(chargeback?.extra, { note: "été 😀" });
    });
  });

  describe(`POST postbacks accepted (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine);
    });
    after(() => t?.close());

    test("JSON body signed with our signer", async () => {
      const f = await createFixture(t.store);
      const body = JSON.stringify({
        event: "ftd",
        txid: "j-1",
        player_id: "p1",
        amount: "100.50",
        currency: "eur",
      });
      const answer = await signedPost(t.url, f, body, { contentType: "application/json; charset=utf-8" });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body["code"], "accepted");
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.amountMinor, 10050);
      assert.equal(row?.currency, "EUR");
    });

    test("JSON numbers keep their exact text: 100.50 is 10050 cents, never a float", async () => {
      const f = await createFixture(t.store, { currency: "BHD" });
      const body = '{"event":"deposit","txid":"n-1","player_id":"p","amount":100.50,"currency":"EUR"}';
      const answer = await signedPost(t.url, f, body);
      assert.equal(answer.status, 200, answer.text);
      const bhd = await signedPost(
        t.url,
        f,
        '{"event":"deposit","txid":"n-2","player_id":"p","amount":0.125,"currency":"BHD"}',
      );
      assert.equal(bhd.status, 200, bhd.text);
      const rows = await t.store.listConversions({ operatorId: f.operator.id });
      const byTxid = new Map(rows.map((r) => [r.txid, r]));
      assert.equal(byTxid.get("n-1")?.amountMinor, 10050);
      assert.equal(byTxid.get("n-2")?.amountMinor, 125);
    });

    test("form body signed over its exact bytes", async () => {
      const f = await createFixture(t.store);
      const body = "event=registration&txid=f%2F1&player_id=j%C3%B6hn+doe&sub_id=a%26b";
      const answer = await signedPost(t.url, f, body, { contentType: "application/x-www-form-urlencoded" });
      assert.equal(answer.status, 200, answer.text);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.txid, "f/1");
      assert.equal(row?.playerId, "jöhn doe");
      assert.equal(row?.subId, "a&b");
    });

    test("the off-the-shelf standardwebhooks library signs postbacks we accept", async () => {
      const f = await createFixture(t.store);
      const webhook = new Webhook(f.secret);
      const body = JSON.stringify({
        event: "ftd",
        txid: "sw-1",
        player_id: "p",
        amount: "5",
        currency: "USD",
      });
      const msgId = "msg_sw_1";
      const sentAt = new Date();
      const response = await fetch(`${t.url}/v1/postback/${f.operator.key}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": msgId,
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": webhook.sign(msgId, sentAt, body),
        },
        body,
      });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.equal(JSON.parse(text).code, "accepted");
    });

    test("a signature list with an unknown version and a v1 entry is accepted", async () => {
      const f = await createFixture(t.store);
      const body = JSON.stringify({ event: "registration", txid: "multi-1", player_id: "p" });
      const signed = await signedPost(t.url, f, body, { unsigned: true });
      assert.equal(signed.status, 401);
      const webhook = new Webhook(f.secret);
      const now = new Date();
      const answer = await signedPost(t.url, f, body, {
        unsigned: true,
        headers: {
          "webhook-id": "m1",
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": `v2,abc ${webhook.sign("m1", now, body)}`,
        },
      });
      assert.equal(answer.status, 200, answer.text);
    });
  });
}
