/**
 * One bad value never fails other people's requests, and both engines answer alike. Text a
 * database cannot store (a NUL, %00 or \u0000) is refused up front with a 400 naming the field —
 * postback parameters, the operator key, admin body fields, string filters, cursors and path ids —
 * or, for a click's sub-ids, stored in a safe form (U+FFFD), so clean clicks arriving in the same
 * group commit are stored too. PostgreSQL used to fail those clicks' whole batch (503) and answer
 * 500 to the admin API.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import type { Fixture, TestService } from "../../helpers/service.ts";
import { type Call, expectStatus, postback, signedQuery, startAdminWorld, type World } from "./admin-kit.ts";
import { signedPost } from "./postback-kit.ts";

for (const engine of await availableEngines()) {
  describe(`text no database can store (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      ({ t, admin, world } = await startAdminWorld(engine));
    });
    after(() => t?.close());

    test("clicks with a NUL in a sub-id among clean ones: every click is stored and redirected", async () => {
      const clicks = await Promise.all(
        Array.from({ length: 48 }, (_, i) => {
          const sub = i % 3 === 0 ? `bad%00${i}` : `clean${i}`;
          return fetch(`${t.url}/c/${world.link.code}?sub1=${sub}`, { redirect: "manual" });
        }),
      );
      for (const response of clicks) assert.equal(response.status, 302);
      const stored = await t.store.listClicks({ linkId: world.link.id, limit: 1000 });
      assert.equal(stored.length, 48);
      const subs = new Set(stored.map((c) => c.subs[0]));
      assert.ok(subs.has("bad\uFFFD0"), "the NUL is stored as U+FFFD");
      assert.ok(subs.has("clean1"));
      const location = clicks[0]!.headers.get("location")!;
      assert.equal(
        new URL(location).searchParams.get("s1"),
        "bad\uFFFD0",
        "the landing URL gets the same value",
      );
    });

    test("a link code with a NUL is an unknown link (404 page)", async () => {
      const response = await fetch(`${t.url}/c/${world.link.code}%00`, { redirect: "manual" });
      assert.equal(response.status, 404);
      assert.match(await response.text(), /Link not found/);
    });

    test("postbacks: a NUL in any parameter is a 400 naming it; clean postbacks beside them are stored", async () => {
      const ftd = (txid: string, extra: Array<[string, string]> = []) =>
        postback(
          t.url,
          world.operator.key,
          signedQuery(world.secret, [
            ["event", "ftd"],
            ["txid", txid],
            ["player_id", `p-${txid}`],
            ["amount", "10.00"],
            ["currency", "EUR"],
            ...extra,
          ]),
        );
      const replies = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => ftd(`clean-${i}`)),
        ftd("nul-sub", [["sub_id", "a\u0000b"]]),
        ftd("nul-extra", [["campaign", "x\u0000"]]),
        ftd("nul\u0000txid"),
      ]);
      for (const reply of replies.slice(0, 12)) expectStatus(reply, 200, "accepted");
      expectStatus(replies[12]!, 400, "invalid_field", "sub_id");
      expectStatus(replies[13]!, 400, "invalid_field", "campaign");
      expectStatus(replies[14]!, 400, "invalid_field", "txid");
      // The refusal is in the request log, its txid in a safe form.
      const logged = await t.store.searchRequestLog({ operatorId: world.operator.id, code: "invalid_field" });
      assert.ok(logged.some((row) => row.txid === "nul\uFFFDtxid"));
      assert.equal((await t.store.listConversions({ operatorId: world.operator.id })).length, 12);
    });

    test("a NUL in the operator key or a JSON body value is a 400 naming it", async () => {
      const key = await fetch(`${t.url}/v1/postback/op%00x?event=ftd&txid=1`);
      assert.equal(key.status, 400);
      assert.equal(((await key.json()) as { field: string }).field, "operator_key");
      const body = JSON.stringify({ event: "ftd", txid: "json-nul", player_id: "p", note: "a\u0000" });
      const json = await signedPost(t.url, world as unknown as Fixture, body);
      assert.equal(json.status, 400, json.text);
      assert.equal(json.body["field"], "note");
    });

    test("admin API: NUL in body fields, filters, cursors and path ids is a 400 naming the field", async () => {
      expectStatus(await admin("POST", "/v1/affiliates", { name: "a\u0000b" }), 400, "invalid_field", "name");
      expectStatus(
        await admin("PUT", `/v1/operators/${world.operator.id}/mapping`, {
          params: { "b\u0000tag": "click_id" },
          values: {},
        }),
        400,
        "invalid_field",
        "params.b\uFFFDtag",
      );
      expectStatus(await admin("GET", "/v1/request-log?txid=%00"), 400, "invalid_field", "txid");
      expectStatus(await admin("GET", "/v1/commissions/payouts?cursor=x%00"), 400, "invalid_field", "cursor");
      expectStatus(await admin("GET", "/v1/conversions/cv%00x"), 400, "invalid_field", "id");
      // Nothing else broke: the same calls with clean text work.
      expectStatus(await admin("GET", "/v1/request-log?txid=clean-1"), 200);
      expectStatus(await admin("GET", "/v1/conversions/cv_missing"), 404, "not_found");
    });
  });
}
