/**
 * Ingesting postbacks through the use case on both engines: attribution and its unattributed
 * reasons, player binding, idempotency (duplicate replay, txid conflict), the request log and
 * storage failures.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { issueClickId } from "../../../src/domain/click-id.ts";
import { availableEngines } from "../../helpers/engines.ts";
import {
  getRequest,
  type IngestHarness,
  jsonRequest,
  parseAnswer,
  startIngest,
} from "../../helpers/ingest-harness.ts";

let txSeq = 0;
const txid = () => `tx-${++txSeq}-${Date.now()}`;

for (const engine of await availableEngines()) {
  describe(`ingest postback (${engine})`, () => {
    let h: IngestHarness;
    before(async () => {
      h = await startIngest(engine);
    });
    after(() => h.close());

    test("an ftd on a valid click is accepted, attributed and stored", async () => {
      const id = txid();
      const clickId = h.click();
      const answer = await h.send({
        event: "ftd",
        txid: id,
        click_id: clickId,
        amount: "100.50",
        currency: "EUR",
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body["code"], "accepted");
      assert.equal(answer.body["attributed"], true);
      const row = await h.store.getConversion(String(answer.body["conversion_id"]));
      assert.ok(row);
      assert.equal(row.txid, id);
      assert.equal(row.amountMinor, 10_050);
      assert.equal(row.currency, "EUR");
      assert.equal(row.clickId, clickId);
      assert.equal(row.linkId, h.fixture.link.id);
      assert.equal(row.affiliateId, h.fixture.affiliate.id);
      assert.equal(row.programId, h.fixture.program.id);
      assert.equal(row.unattributedReason, null);
    });

    test("a JSON POST keeps exact amounts from the source text", async () => {
      const body = `{"event":"deposit","txid":"${txid()}","click_id":"${h.click()}","amount":19.90,"currency":"EUR"}`;
      const answer = parseAnswer(await h.ingestor.handle(jsonRequest(h.fixture.operator.key, body)));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const row = await h.store.getConversion(String(answer.body["conversion_id"]));
      assert.equal(row?.amountMinor, 1990);
    });

    const unattributed: Array<[string, (h: IngestHarness) => Promise<Record<string, string>>, string]> = [
      ["no click_id nor player_id", async () => ({}), "no_click_id"],
      ["a forged click id", async () => ({ click_id: forgedClick(h.fixture.link.id) }), "click_id_invalid"],
      ["a mistyped click id", async () => ({ click_id: "not-a-click-id" }), "click_id_invalid"],
      [
        "a click on another operator's link",
        async (h) => ({ click_id: h.click((await h.otherFixture()).link) }),
        "link_not_found",
      ],
      [
        "a verified click naming a link that does not exist",
        async (h) => ({ click_id: h.click({ ...h.fixture.link, id: 4_000_000 }) }),
        "link_not_found",
      ],
      ["an unknown player and no click", async () => ({ player_id: `unknown-${txid()}` }), "player_unknown"],
    ];
    for (const [name, params, reason] of unattributed) {
      test(`${name} → accepted as unattributed (${reason}) and kept`, async () => {
        const answer = await h.send({ event: "registration", txid: txid(), ...(await params(h)) });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(
          {
            code: answer.body["code"],
            attributed: answer.body["attributed"],
            reason: answer.body["unattributed_reason"],
          },
          { code: "accepted", attributed: false, reason },
        );
        const row = await h.store.getConversion(String(answer.body["conversion_id"]));
        assert.equal(row?.unattributedReason, reason);
        assert.equal(row?.affiliateId, null);
        const listed = await h.store.listConversions({
          operatorId: h.fixture.operator.id,
          attributed: false,
        });
        assert.ok(listed.some((r) => r.id === row?.id));
      });
    }

    test("the first event with click and player binds; later events by player alone follow it", async () => {
      const player = `player-${txid()}`;
      const bind = await h.send({
        event: "registration",
        txid: txid(),
        click_id: h.click(),
        player_id: player,
      });
      assert.equal(bind.body["attributed"], true);
      const follow = await h.send({
        event: "deposit",
        txid: txid(),
        player_id: player,
        amount: "20",
        currency: "EUR",
      });
      assert.equal(follow.status, 200);
      assert.equal(follow.body["attributed"], true);
      const row = await h.store.getConversion(String(follow.body["conversion_id"]));
      assert.equal(row?.affiliateId, h.fixture.affiliate.id);
      assert.equal(row?.linkId, h.fixture.link.id);

      // A later click of another affiliate does not move the player (first touch).
      const other = await h.store.affiliates.create(
        { name: "Other", email: null, status: "active" },
        Date.now(),
      );
      const otherLink = await h.store.links.create(
        {
          code: `o${txid()}`,
          affiliateId: other.id,
          programId: h.fixture.program.id,
          status: "active",
          landingUrlTemplate: null,
        },
        Date.now(),
      );
      const later = await h.send({
        event: "deposit",
        txid: txid(),
        player_id: player,
        click_id: h.click(otherLink),
        amount: "5",
        currency: "EUR",
      });
      const laterRow = await h.store.getConversion(String(later.body["conversion_id"]));
      assert.equal(laterRow?.affiliateId, h.fixture.affiliate.id);
    });

    test("a repeat with the same content replays the original answer as duplicate", async () => {
      const params: Array<[string, string]> = [
        ["event", "ftd"],
        ["txid", txid()],
        ["click_id", h.click()],
        ["amount", "50"],
        ["currency", "EUR"],
      ];
      const first = await h.send(params);
      const again = await h.send(params);
      const reordered = await h.send([...params].reverse());
      for (const answer of [again, reordered]) {
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { ...first.body, code: "duplicate" });
      }
      const rows = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
      assert.equal(rows.filter((r) => r.txid === params[1]![1]).length, 1);
    });

    test("a repeat without occurred_at received later is still a duplicate", async () => {
      const params = { event: "registration", txid: txid(), click_id: h.click() };
      const first = parseAnswer(
        await h.ingestor.handle(getRequest(h.fixture.operator.key, params, Date.now() - 60_000)),
      );
      const again = await h.send(params);
      assert.equal(again.body["code"], "duplicate");
      assert.equal(again.body["conversion_id"], first.body["conversion_id"]);
    });

    test("same txid with different content → 409 txid_conflict and nothing changes", async () => {
      const id = txid();
      const first = await h.send({
        event: "ftd",
        txid: id,
        click_id: h.click(),
        amount: "10",
        currency: "EUR",
      });
      const before = await h.store.getConversion(String(first.body["conversion_id"]));
      const conflict = await h.send({
        event: "ftd",
        txid: id,
        click_id: h.click(),
        amount: "11",
        currency: "EUR",
      });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body["code"], "txid_conflict");
      assert.equal(conflict.body["field"], "txid");
      assert.deepEqual(await h.store.getConversion(String(first.body["conversion_id"])), before);
      const rows = await h.store.listConversions({ operatorId: h.fixture.operator.id, limit: 1000 });
      assert.equal(rows.filter((r) => r.txid === id).length, 1);
    });

    test("every request lands in the request log with status, code, reason and latency", async () => {
      const id = txid();
      const accepted = await h.send({ event: "registration", txid: id, click_id: h.click() });
      await h.send({ event: "registration", txid: id, click_id: "x" });
      await h.send({ txid: id });
      const unknownKey = `no-such-operator-${id}`;
      await h.send({ event: "registration", txid: id }, unknownKey);
      const rows = await h.store.searchRequestLog({ txid: id });
      const byCode = new Map(rows.map((r) => [r.code, r]));
      assert.deepEqual([...byCode.keys()].sort(), ["accepted", "missing_field", "txid_conflict"]);
      assert.equal(byCode.get("accepted")?.conversionId, accepted.body["conversion_id"]);
      assert.equal(byCode.get("accepted")?.status, 200);
      assert.equal(byCode.get("missing_field")?.status, 400);
      assert.match(byCode.get("missing_field")?.reason ?? "", /event/);
      assert.equal(byCode.get("txid_conflict")?.operatorId, h.fixture.operator.id);
      for (const row of rows) {
        assert.ok(Number.isInteger(row.latencyUs) && row.latencyUs >= 0);
        assert.equal(row.ip, "127.0.0.1");
        assert.match(row.raw, /"method":"GET"/);
      }
      const unknown = await h.store.searchRequestLog({ code: "unknown_operator", limit: 1000 });
      const mine = unknown.find((r) => r.path.endsWith(unknownKey));
      assert.equal(mine?.status, 404);
      assert.equal(mine?.operatorId, null);
    });

    test("a duplicate is logged with the conversion it replays", async () => {
      const params = { event: "registration", txid: txid(), click_id: h.click() };
      const first = await h.send(params);
      assert.equal((await h.send(params)).body["code"], "duplicate");
      const logged = await h.store.searchRequestLog({ txid: params.txid, code: "duplicate" });
      assert.equal(logged[0]?.conversionId, first.body["conversion_id"]);
    });

    test("invalid input is refused with the field named", async () => {
      const answer = await h.send({
        event: "ftd",
        txid: txid(),
        click_id: h.click(),
        amount: "1.234",
        currency: "EUR",
      });
      assert.equal(answer.status, 400);
      assert.deepEqual([answer.body["code"], answer.body["field"]], ["amount_precision", "amount"]);
      const notAllowed = await h.send({ event: "funded", txid: txid(), click_id: h.click() });
      assert.deepEqual([notAllowed.status, notAllowed.body["code"]], [400, "unknown_event_type"]);
    });
  });
}

function forgedClick(linkId: number): string {
  return issueClickId(
    randomBytes(32),
    { linkId, issuedAtSeconds: Math.floor(Date.now() / 1000) },
    randomBytes(6),
  );
}
