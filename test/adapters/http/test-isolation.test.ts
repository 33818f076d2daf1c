/**
 * Test-mode isolation (DESIGN §5): a test event may read live clicks and bindings (to show what
 * would happen) but writes nothing a live event can later use: no player binding, no reversed
 * amount, no original to reverse. Over real HTTP, on both engines.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { tableCounts } from "../../helpers/table-counts.ts";
import { signedGet } from "./postback-kit.ts";

for (const engine of await availableEngines()) {
  describe(`test-mode isolation (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine);
    });
    after(() => t?.close());

    async function clickId(code: string): Promise<string> {
      const click = await fetch(`${t.url}/c/${code}`, { redirect: "manual" });
      assert.equal(click.status, 302);
      return new URL(click.headers.get("location")!).searchParams.get("cid")!;
    }

    test("a test event binds no player: a later live event by player id alone is not attributed", async () => {
      const f = await createFixture(t.store);
      const cid = await clickId(f.link.code);
      const players = (await tableCounts(t.databaseUrl))["players"];
      const trial = await signedGet(t.url, f, [
        ["event", "registration"],
        ["txid", "t-reg-1"],
        ["click_id", cid],
        ["player_id", "p-1"],
        ["test", "1"],
      ]);
      assert.equal(trial.status, 200, trial.text);
      // It read the live click to show what would happen…
      assert.equal(trial.body["attributed"], true);
      assert.equal(trial.body["test"], true);
      // …and bound no one.
      assert.equal((await tableCounts(t.databaseUrl))["players"], players);
      const live = await signedGet(t.url, f, [
        ["event", "ftd"],
        ["txid", "live-ftd-1"],
        ["player_id", "p-1"],
        ["amount", "50"],
        ["currency", "EUR"],
      ]);
      assert.equal(live.status, 200, live.text);
      assert.equal(live.body["attributed"], false, live.text);
      assert.equal(live.body["unattributed_reason"], "player_unknown");
    });

    test("a test event follows a live binding (reads it) without changing it", async () => {
      const f = await createFixture(t.store);
      const cid = await clickId(f.link.code);
      const bound = await signedGet(t.url, f, [
        ["event", "registration"],
        ["txid", "reg-2"],
        ["click_id", cid],
        ["player_id", "p-2"],
      ]);
      assert.equal(bound.body["attributed"], true, bound.text);
      const trial = await signedGet(t.url, f, [
        ["event", "deposit"],
        ["txid", "t-dep-2"],
        ["player_id", "p-2"],
        ["amount", "10"],
        ["currency", "EUR"],
        ["test", "1"],
      ]);
      assert.equal(trial.body["attributed"], true, trial.text);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id, test: true });
      assert.equal(row?.txid, "t-dep-2");
      assert.equal(row?.affiliateId, f.affiliate.id);
    });

    test("a live reversal cannot reverse a test event", async () => {
      const f = await createFixture(t.store);
      const trial = await signedGet(t.url, f, [
        ["event", "ftd"],
        ["txid", "t-ftd-3"],
        ["player_id", "p-3"],
        ["amount", "30"],
        ["currency", "EUR"],
        ["test", "1"],
      ]);
      assert.equal(trial.status, 200, trial.text);
      const refund = await signedGet(t.url, f, [
        ["event", "refund"],
        ["txid", "live-refund-3"],
        ["reverses", "t-ftd-3"],
      ]);
      assert.equal(refund.status, 400, refund.text);
      assert.equal(refund.body["code"], "reverses_not_found");
      // A test reversal of the test event is fine.
      const testRefund = await signedGet(t.url, f, [
        ["event", "refund"],
        ["txid", "t-refund-3"],
        ["reverses", "t-ftd-3"],
        ["test", "1"],
      ]);
      assert.equal(testRefund.status, 200, testRefund.text);
    });

    test("a test reversal of a live event leaves the live amount reversible", async () => {
      const f = await createFixture(t.store);
      const ftd = await signedGet(t.url, f, [
        ["event", "ftd"],
        ["txid", "ftd-4"],
        ["player_id", "p-4"],
        ["amount", "40"],
        ["currency", "EUR"],
      ]);
      assert.equal(ftd.status, 200, ftd.text);
      const whole = await signedGet(t.url, f, [
        ["event", "chargeback"],
        ["txid", "t-cb-4"],
        ["reverses", "ftd-4"],
        ["test", "1"],
      ]);
      assert.equal(whole.status, 200, whole.text);
      const partial = await signedGet(t.url, f, [
        ["event", "refund"],
        ["txid", "t-refund-4"],
        ["reverses", "ftd-4"],
        ["amount", "40"],
        ["currency", "EUR"],
        ["test", "1"],
      ]);
      assert.equal(partial.status, 200, partial.text);
      const live = await signedGet(t.url, f, [
        ["event", "refund"],
        ["txid", "refund-4"],
        ["reverses", "ftd-4"],
        ["amount", "40"],
        ["currency", "EUR"],
      ]);
      assert.equal(live.status, 200, live.text);
      assert.equal(live.body["code"], "accepted");
    });

    test("listings separate test from live: the test filter over the API", async () => {
      const f = await createFixture(t.store);
      for (const [txid, test] of [
        ["mix-live", "0"],
        ["mix-test", "1"],
      ] as const) {
        const answer = await signedGet(t.url, f, [
          ["event", "registration"],
          ["txid", txid],
          ["test", test],
        ]);
        assert.equal(answer.status, 200, answer.text);
      }
      const list = async (query: string): Promise<string[]> => {
        const response = await fetch(`${t.url}/v1/conversions?operator_id=${f.operator.id}${query}`, {
          headers: { authorization: `Bearer ${t.adminKey}` },
        });
        assert.equal(response.status, 200, await response.clone().text());
        const body = (await response.json()) as { data: Array<{ txid: string }> };
        return body.data.map((c) => c.txid).sort();
      };
      assert.deepEqual(await list(""), ["mix-live", "mix-test"]);
      assert.deepEqual(await list("&test=false"), ["mix-live"]);
      assert.deepEqual(await list("&test=true"), ["mix-test"]);
    });
  });
}
