/** Signed GET postbacks that must be accepted: the signing vectors, mapping, test mode, attribution. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import { signingVectors } from "../../helpers/signing-vectors.ts";
import { clockFrom, ftd, getPostback, type KitService, signedGet, startKitService } from "./postback-kit.ts";

const vectors = signingVectors;

for (const engine of await availableEngines()) {
  describe(`GET signing vectors over HTTP (${engine})`, { timeout: 60_000 }, () => {
    let k: KitService;
    // The vectors are signed at ts 1795000000: run the service's clock from there.
    before(async () => {
      k = await startKitService(engine, { clock: clockFrom(1_795_000_000_000) });
    });
    after(() => k?.close());

    test("every query_as_sent is accepted as sent, and a replay is a duplicate", async () => {
      const f = await createFixture(k.store, { auth: { hmacSecrets: [vectors.secret] } });
      const ids: Record<string, unknown> = {};
      for (const c of vectors.get.cases) {
        const answer = await getPostback(k.url, f.operator.key, c.query_as_sent);
        assert.equal(answer.status, 200, `${c.name}: ${answer.text}`);
        assert.equal(answer.body["code"], "accepted", c.name);
        ids[c.name] = answer.body["conversion_id"];
      }
      const replay = await getPostback(k.url, f.operator.key, vectors.get.cases[0]!.query_as_sent);
      assert.equal(replay.body["code"], "duplicate");
      assert.equal(replay.body["conversion_id"], ids[vectors.get.cases[0]!.name]);

      const rows = await k.store.listConversions({ operatorId: f.operator.id });
      assert.equal(rows.length, vectors.get.cases.length);
      const byTxid = new Map(rows.map((r) => [r.txid, r]));
      assert.equal(byTxid.get("dep-1001")?.amountMinor, 10050);
      // Decoded exactly as sent: reserved characters and UTF-8 survive the round trip.
      assert.equal(byTxid.get("reg/2026 #7")?.playerId, "jöhn+doe@example.com");
      assert.equal(byTxid.get("reg/2026 #7")?.extra["sub_id"], undefined);
      assert.equal(byTxid.get("reg/2026 #7")?.subId, "a&b=c");
      const chargeback = byTxid.get("cb-77");
      assert.equal(chargeback?.reversesId, byTxid.get("dep-1001")?.id);
      assert.equal(chargeback?.amountMinor, 4025);
      // The vector click id is not one of ours: kept, unattributed, for reconciliation.
      assert.equal(byTxid.get("dep-1001")?.unattributedReason, "click_id_invalid");
    });
  });

  describe(`GET postbacks accepted (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine);
    });
    after(() => t?.close());

    async function clickId(code: string): Promise<string> {
      const click = await fetch(`${t.url}/c/${code}?sub1=s`, { redirect: "manual" });
      assert.equal(click.status, 302);
      return new URL(click.headers.get("location")!).searchParams.get("cid")!;
    }

    test("a click's id attributes the ftd to the link's affiliate", async () => {
      const f = await createFixture(t.store);
      const cid = await clickId(f.link.code);
      const answer = await signedGet(t.url, f, [
        ["event", "ftd"],
        ["txid", "dep-1"],
        ["click_id", cid],
        ["amount", "25"],
        ["currency", "EUR"],
      ]);
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(Object.keys(answer.body).sort(), ["attributed", "code", "conversion_id"]);
      assert.equal(answer.body["attributed"], true);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.affiliateId, f.affiliate.id);
      assert.equal(row?.linkId, f.link.id);
      assert.equal(row?.amountMinor, 2500);
      const [log] = await t.store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(log?.code, "accepted");
      assert.equal(log?.conversionId, row?.id);
      assert.equal(log?.txid, "dep-1");
    });

    test("operator mapping: btag is the click id and type=dep is an ftd", async () => {
      const f = await createFixture(t.store, {
        mapping: { params: { btag: "click_id", type: "event" }, values: { event: { dep: "ftd" } } },
      });
      const cid = await clickId(f.link.code);
      const answer = await signedGet(t.url, f, [
        ["type", "dep"],
        ["txid", "m-1"],
        ["btag", cid],
        ["amount", "10.00"],
        ["currency", "EUR"],
      ]);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body["attributed"], true);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.event, "ftd");
      assert.equal(row?.clickId, cid);
      assert.deepEqual(row?.extra, {});
    });

    test("test=1 runs the whole pipeline and flags the conversion", async () => {
      const f = await createFixture(t.store);
      const answer = await signedGet(t.url, f, ftd("t-1", [["test", "1"]]));
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body["test"], true);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.test, true);
    });

    test("unknown or forged click ids are kept as unattributed, never dropped", async () => {
      const f = await createFixture(t.store);
      const cid = await clickId(f.link.code);
      const forged = cid.slice(0, -2) + (cid.endsWith("AA") ? "BA" : "AA");
      const cases: Array<[string, string, string]> = [
        ["u-1", forged, "click_id_invalid"],
        ["u-2", "not-a-click-id", "click_id_invalid"],
      ];
      for (const [txid, click, reason] of cases) {
        const answer = await signedGet(t.url, f, [
          ["event", "registration"],
          ["txid", txid],
          ["click_id", click],
        ]);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.body["attributed"], false);
        assert.equal(answer.body["unattributed_reason"], reason);
      }
      const player = await signedGet(t.url, f, ftd("u-3"));
      assert.equal(player.body["unattributed_reason"], "player_unknown");
      const rows = await t.store.listConversions({ operatorId: f.operator.id, attributed: false });
      assert.equal(rows.length, 3);
    });

    test("sub_id and extra parameters are kept as received", async () => {
      const f = await createFixture(t.store);
      const answer = await signedGet(
        t.url,
        f,
        ftd("x-1", [
          ["sub_id", "campaign 7/β"],
          ["brand", "Lucky&Co"],
        ]),
      );
      assert.equal(answer.status, 200, answer.text);
      const [row] = await t.store.listConversions({ operatorId: f.operator.id });
      assert.equal(row?.subId, "campaign 7/β");
      assert.deepEqual(row?.extra, { brand: "Lucky&Co" });
    });
  });
}
