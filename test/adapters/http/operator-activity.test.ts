/**
 * GET /v1/operators/{id}/activity on both engines: null before any traffic; a refused postback
 * sets only the last postback time; an accepted one both; another operator's key gets a 404.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, type Fixture, startTestService, type TestService } from "../../helpers/service.ts";
import { ftd, signedGet } from "./postback-kit.ts";

for (const engine of await availableEngines()) {
  describe(`operator activity (${engine})`, () => {
    let t: TestService;
    let f: Fixture;
    let other: Fixture;
    before(async () => {
      t = await startTestService(engine);
      f = await createFixture(t.store);
      other = await createFixture(t.store);
    });
    after(() => t.close());

    const activity = async (id: number, key = t.adminKey) => {
      const response = await fetch(`${t.url}/v1/operators/${id}/activity`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    test("none, then a refusal, then an acceptance", async () => {
      assert.deepEqual((await activity(f.operator.id)).body, {
        operator_id: f.operator.id,
        last_postback_at: null,
        last_accepted_at: null,
      });
      const refused = await signedGet(t.url, f, ftd("act-1"), { secret: `whsec_${"A".repeat(43)}=` });
      assert.equal(refused.status, 401);
      const afterRefusal = (await activity(f.operator.id)).body;
      assert.match(String(afterRefusal["last_postback_at"]), /^\d{4}-\d\d-\d\dT/);
      assert.equal(afterRefusal["last_accepted_at"], null);
      assert.equal((await signedGet(t.url, f, ftd("act-2"))).status, 200);
      const [conversion] = await t.store.listConversions({ operatorId: f.operator.id, limit: 1 });
      const afterAcceptance = (await activity(f.operator.id)).body;
      assert.equal(afterAcceptance["last_accepted_at"], new Date(conversion!.receivedAt).toISOString());
      assert.ok(String(afterAcceptance["last_postback_at"]) >= String(afterRefusal["last_postback_at"]));
      assert.equal((await activity(other.operator.id)).body["last_postback_at"], null, "per operator");
    });

    test("an operator key sees its own operator's activity only", async () => {
      const own = await t.key("operator", { operatorId: f.operator.id });
      assert.equal((await activity(f.operator.id, own)).status, 200);
      assert.equal((await activity(other.operator.id, own)).status, 404);
    });
  });
}
