/**
 * A duplicate answer says it is a replay: `Idempotent-Replayed: true` on the repeated txid's 200,
 * on GET (answered on the node:http fast path) and POST (through Fastify), and on no other answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { ftd, type KitService, signedGet, signedPost, startKitService } from "./postback-kit.ts";

for (const engine of await availableEngines()) {
  describe(`duplicate answers are marked as replays (${engine})`, () => {
    let k: KitService;
    let f: Fixture;
    before(async () => {
      k = await startKitService(engine);
      f = await createFixture(k.store);
    });
    after(() => k?.close());

    test("GET: the first answer is plain, the repeat carries Idempotent-Replayed: true", async () => {
      const first = await signedGet(k.url, f, ftd("replay-get"));
      assert.equal(first.body["code"], "accepted");
      assert.equal(first.headers.get("idempotent-replayed"), null);
      const again = await signedGet(k.url, f, ftd("replay-get"));
      assert.equal(again.body["code"], "duplicate");
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      assert.equal(again.body["conversion_id"], first.body["conversion_id"]);
    });

    test("POST: the repeat is a replay; a conflicting repeat (409) is not", async () => {
      const body = (amount: string) =>
        JSON.stringify({ event: "ftd", txid: "replay-post", player_id: "p", amount, currency: "EUR" });
      const first = await signedPost(k.url, f, body("10.00"));
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers.get("idempotent-replayed"), null);
      const again = await signedPost(k.url, f, body("10.00"));
      assert.equal(again.body["code"], "duplicate");
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      const conflict = await signedPost(k.url, f, body("11.00"));
      assert.equal(conflict.status, 409);
      assert.equal(conflict.headers.get("idempotent-replayed"), null);
    });
  });
}
