/**
 * A POST's webhook-id is printable ASCII of at most 255 characters (DESIGN §2): a longer one is a
 * 400 naming the header, logged like any refusal; one of 255 characters is accepted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";
import { assertRefused, type KitService, signedPost, startKitService } from "./postback-kit.ts";

const body = (txid: string) =>
  JSON.stringify({ event: "ftd", txid, player_id: "p", amount: "10.00", currency: "EUR" });

for (const engine of await availableEngines()) {
  describe(`POST webhook-id (${engine})`, () => {
    let k: KitService;
    before(async () => {
      k = await startKitService(engine);
    });
    after(() => k?.close());

    test("256 characters: 400 invalid_field naming webhook-id, logged, nothing stored", async () => {
      const f: Fixture = await createFixture(k.store);
      const answer = await signedPost(k.url, f, body("long-id"), { id: "m".repeat(256) });
      await assertRefused(k.store, f.operator.id, answer, {
        status: 400,
        code: "invalid_field",
        field: "webhook-id",
      });
      assert.match(String(answer.body["message"]), /printable ASCII/);
    });

    test("255 printable ASCII characters, spaces included: accepted", async () => {
      const f: Fixture = await createFixture(k.store);
      const answer = await signedPost(k.url, f, body("max-id"), { id: `m ${"x".repeat(253)}` });
      assert.equal(answer.status, 200, answer.text);
    });
  });
}
