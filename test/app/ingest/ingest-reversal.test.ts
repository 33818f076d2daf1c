/**
 * Reversals through the ingest use case on both engines: linked to their original, whole or
 * partial, never beyond what remains, same currency; and events of one batch seeing each other.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { type Answer, type IngestHarness, startIngest } from "../../helpers/ingest-harness.ts";

let seq = 0;
const txid = (label: string) => `${label}-${++seq}-${Date.now()}`;

for (const engine of await availableEngines()) {
  describe(`reversals (${engine})`, () => {
    let h: IngestHarness;
    before(async () => {
      h = await startIngest(engine);
    });
    after(() => h.close());

    const ftd = async (amount = "100.00", currency = "EUR") => {
      const id = txid("ftd");
      const answer = await h.send({ event: "ftd", txid: id, click_id: h.click(), amount, currency });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return { txid: id, conversionId: String(answer.body["conversion_id"]) };
    };
    const refund = (reverses: string, extra: Record<string, string> = {}, event = "refund") =>
      h.send({ event, txid: txid(event), reverses, ...extra });
    const rowOf = (answer: Answer) => h.store.getConversion(String(answer.body["conversion_id"]));
    const refused = (answer: Answer, code: string, field: string) => {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.deepEqual([answer.body["code"], answer.body["field"]], [code, field]);
    };

    test("a refund without amount reverses all of it, linked to the original and its affiliate", async () => {
      const original = await ftd("100.00");
      const answer = await refund(original.txid);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body["attributed"], true);
      const row = await rowOf(answer);
      assert.equal(row?.reversesId, original.conversionId);
      assert.equal(row?.amountMinor, 10_000);
      assert.equal(row?.currency, "EUR");
      assert.equal(row?.affiliateId, h.fixture.affiliate.id);
      refused(await refund(original.txid), "reversal_exceeds_original", "reverses");
    });

    test("partial reversals add up to the original and never beyond", async () => {
      const original = await ftd("100.00");
      assert.equal((await refund(original.txid, { amount: "30", currency: "EUR" })).status, 200);
      refused(
        await refund(original.txid, { amount: "70.01", currency: "EUR" }),
        "reversal_exceeds_original",
        "amount",
      );
      const chargeback = await refund(original.txid, { amount: "70.00", currency: "eur" }, "chargeback");
      assert.equal(chargeback.status, 200, JSON.stringify(chargeback.body));
      assert.equal((await rowOf(chargeback))?.amountMinor, 7000);
      refused(
        await refund(original.txid, { amount: "0.01", currency: "EUR" }),
        "reversal_exceeds_original",
        "amount",
      );
    });

    test("refused reversals: unknown txid, a reversal, another currency, an amount on an amountless event", async () => {
      refused(await refund("never-sent"), "reverses_not_found", "reverses");
      const original = await ftd("10.00");
      const partial = await refund(original.txid, { amount: "1", currency: "EUR" });
      const partialTxid = String((await rowOf(partial))?.txid);
      refused(await refund(partialTxid), "invalid_reversal", "reverses");
      refused(await refund(original.txid, { amount: "1", currency: "USD" }), "currency_mismatch", "currency");
      const registration = txid("reg");
      await h.send({ event: "registration", txid: registration, click_id: h.click() });
      refused(await refund(registration, { amount: "1", currency: "EUR" }), "invalid_reversal", "amount");
    });

    test("an event without amount can be reversed once", async () => {
      const registration = txid("reg");
      await h.send({ event: "registration", txid: registration, click_id: h.click() });
      const first = await h.send({ event: "reversal", txid: txid("rev"), reverses: registration });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal((await rowOf(first))?.amountMinor, null);
      refused(
        await h.send({ event: "reversal", txid: txid("rev"), reverses: registration }),
        "reversal_exceeds_original",
        "reverses",
      );
    });

    test("a repeated refund is a duplicate, not a second reversal", async () => {
      const original = await ftd("50.00");
      const params = {
        event: "refund",
        txid: txid("refund"),
        reverses: original.txid,
        amount: "20",
        currency: "EUR",
      };
      const first = await h.send(params);
      const again = await h.send(params);
      assert.equal(again.body["code"], "duplicate");
      assert.equal(again.body["conversion_id"], first.body["conversion_id"]);
      assert.equal((await refund(original.txid, { amount: "30", currency: "EUR" })).status, 200);
    });

    test("events of one batch see each other: an ftd and its refunds sent in the same turn", async () => {
      const id = txid("ftd");
      const answers = await Promise.all([
        h.send({ event: "ftd", txid: id, click_id: h.click(), amount: "40", currency: "EUR" }),
        h.send({ event: "refund", txid: txid("refund"), reverses: id, amount: "15", currency: "EUR" }),
        h.send({ event: "refund", txid: txid("refund"), reverses: id }),
        h.send({ event: "refund", txid: txid("refund"), reverses: id }),
      ]);
      assert.deepEqual(
        answers.map((a) => [a.status, a.body["code"]]),
        [
          [200, "accepted"],
          [200, "accepted"],
          [200, "accepted"],
          [400, "reversal_exceeds_original"],
        ],
      );
      const rows = await Promise.all(answers.slice(1, 3).map(rowOf));
      assert.deepEqual(
        rows.map((r) => [r?.reversesId, r?.amountMinor]),
        [
          [answers[0]!.body["conversion_id"], 1500],
          [answers[0]!.body["conversion_id"], 2500],
        ],
      );
    });

    test("a player bound in a batch is followed by a later event of the same batch", async () => {
      const player = txid("player");
      const [bind, follow] = await Promise.all([
        h.send({ event: "registration", txid: txid("reg"), click_id: h.click(), player_id: player }),
        h.send({ event: "deposit", txid: txid("dep"), player_id: player, amount: "5", currency: "EUR" }),
      ]);
      assert.equal(bind.body["attributed"], true);
      assert.equal(follow.body["attributed"], true);
      assert.equal((await rowOf(follow))?.affiliateId, h.fixture.affiliate.id);
    });
  });
}
