/**
 * Manual adjustments (DESIGN §3) and payouts through the API, on every engine: reject and adjust
 * with a reason code write compensating `adjustment` entries (never edits), scoped reads show them,
 * and marking a period paid pays exactly the entries it marks while approvals run concurrently.
 * After all of it (rejects, adjusts, reversals, the hold job, payouts, some racing), the running
 * totals equal a recount of the ledger.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { assertTotalsMatchRecount } from "../../helpers/totals.ts";
import { client, expectStatus, type World } from "./admin-kit.ts";
import {
  addPlan,
  amounts,
  type Bench,
  balance,
  CPA,
  clickOf,
  DAY,
  entries,
  ev,
  send,
  startBench,
  sum,
  worldOf,
} from "./commissions-kit.ts";

for (const engine of await availableEngines()) {
  describe(`manual adjustments and payouts (${engine})`, () => {
    let b: Bench;
    before(async () => {
      b = await startBench(engine);
    });
    after(() => b.close());

    const ftd = async (w: World) =>
      send(
        b,
        w,
        ev("ftd", {
          click_id: await clickOf(b, w),
          player_id: `p${Math.random()}`,
          amount: "50.00",
          currency: "EUR",
        }),
      );
    const of = (id: string) => entries(b, `conversion_id=${id}`);
    const adjust = (id: string, body: unknown) => b.admin("POST", `/v1/conversions/${id}/adjustments`, body);

    test("reject a paid conversion for fraud: a compensating entry, approved at once, explained", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA });
      const id = await ftd(w);
      const period = new Date(b.now()).toISOString().slice(0, 7);
      expectStatus(
        await b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id }),
        201,
      );
      const reply = await adjust(id, { action: "reject", reason_code: "fraud", note: "same device as #412" });
      expectStatus(reply, 201);
      assert.deepEqual(
        [reply.body.adjustment.action, reply.body.adjustment.reason_code, reply.body.adjustment.amount_minor],
        ["reject", "fraud", -10000],
      );
      const lines = await of(id);
      const original = lines.find((e) => e.kind === "commission")!;
      const rejected = lines.find((e) => e.kind === "adjustment")!;
      assert.deepEqual([original.status, original.amount_minor], ["paid", 10000], "history is not edited");
      assert.deepEqual(
        [rejected.amount_minor, rejected.status, rejected.reason, rejected.reverses_entry_id],
        [-10000, "approved", "fraud", original.id],
      );
      assert.equal(rejected.explain["rule"], "manual:reject");
      assert.equal(
        (rejected.explain["inputs"] as Record<string, unknown>)["adjustment_id"],
        reply.body.adjustment.id,
      );
      assert.match(rejected.explanation, /Rejected by a manager \(fraud\).*same device/);
      expectStatus(await adjust(id, { action: "reject", reason_code: "fraud" }), 409, "conflict");
      assert.equal(
        (await balance(b, w.affiliate.id)).approved_minor,
        -10000,
        "carries into the next balance",
      );
      // A refund after the reject gives nothing back.
      const tx = (await b.admin("GET", `/v1/conversions/${id}`)).body.txid;
      assert.deepEqual(
        amounts(await of(await send(b, w, ev("refund", { reverses: tx, amount: "10.00", currency: "EUR" })))),
        [],
      );
    });

    test("adjust by amount (goodwill); the affiliate sees it, other keys may not adjust", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA });
      const id = await ftd(w);
      const reply = await adjust(id, { action: "adjust", reason_code: "goodwill", amount_minor: 2550 });
      expectStatus(reply, 201);
      assert.deepEqual(amounts(reply.body.entries), [2550]);
      const mine = client(b.url, await b.key("affiliate", { affiliateId: w.affiliate.id }));
      const seen = (await mine("GET", `/v1/commissions?conversion_id=${id}`)).body.data;
      assert.deepEqual(
        seen.map((e: { kind: string; amount_minor: number }) => `${e.kind} ${e.amount_minor}`).sort(),
        ["adjustment 2550", "commission 10000"],
      );
      expectStatus(
        await mine("POST", `/v1/conversions/${id}/adjustments`, { action: "reject", reason_code: "other" }),
        403,
        "forbidden",
      );
      expectStatus(await adjust(id, { action: "reject", reason_code: "because" }), 400);
      expectStatus(
        await adjust(id, { action: "adjust", reason_code: "other" }),
        400,
        "invalid_field",
        "amount_minor",
      );
      expectStatus(await adjust("cv_missing", { action: "reject", reason_code: "other" }), 404, "not_found");
      const listed = await b.admin("GET", `/v1/conversions/${id}/adjustments`);
      assert.deepEqual(
        listed.body.data.map((a: { reason_code: string }) => a.reason_code),
        ["goodwill"],
      );
      // Reject now negates the rest, the manual credit included.
      const rejected = await adjust(id, { action: "reject", reason_code: "duplicate_player" });
      assert.equal(rejected.body.adjustment.amount_minor, -12550);
      assert.equal(sum(await of(id)), 0);
    });

    test("an unattributed conversion carries no commission to adjust: 400, nothing written", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA });
      const id = await send(
        b,
        w,
        ev("ftd", { player_id: `p${Math.random()}`, amount: "50.00", currency: "EUR" }),
      );
      for (const body of [
        { action: "reject", reason_code: "fraud" },
        { action: "adjust", reason_code: "goodwill", amount_minor: 500 },
      ]) {
        expectStatus(await adjust(id, body), 400, "invalid_request");
      }
      assert.deepEqual(await of(id), []);
      assert.deepEqual((await b.admin("GET", `/v1/conversions/${id}/adjustments`)).body.data, []);
    });

    test("a reject racing a chargeback of the same conversion compensates it once", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA });
      for (let round = 0; round < 5; round++) {
        const id = await ftd(w);
        const tx = (await b.admin("GET", `/v1/conversions/${id}`)).body.txid;
        const [rejected, cb] = await Promise.all([
          adjust(id, { action: "reject", reason_code: "chargeback_manual" }),
          send(b, w, ev("chargeback", { reverses: tx })),
        ]);
        assert.ok([201, 409].includes(rejected.status), rejected.text);
        assert.equal(sum(await of(id)) + sum(await of(cb)), 0, "compensated exactly once");
      }
    });

    test("reject during the hold: the compensation stays pending, and both end reversed", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA, holdDays: 3 });
      const id = await ftd(w);
      const reply = await adjust(id, { action: "reject", reason_code: "bonus_abuse" });
      assert.equal(reply.body.entries[0].status, "pending");
      b.advance(4 * DAY);
      expectStatus(await b.admin("POST", "/v1/commissions/approve-due"), 200);
      assert.deepEqual(
        (await of(id)).map((e) => e.status),
        ["reversed", "reversed"],
      );
    });

    test("mark-paid is atomic: every payout equals the sum of the entries it marked", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA, holdDays: 1 });
      const period = new Date(b.now() + 30 * DAY).toISOString().slice(0, 7);
      for (let round = 0; round < 6; round++) {
        await Promise.all(Array.from({ length: 8 }, () => ftd(w)));
        b.advance(2 * DAY);
        await Promise.all([
          b.admin("POST", "/v1/commissions/approve-due"),
          b.admin("POST", "/v1/commissions/payouts", { period }),
          b.admin("POST", "/v1/commissions/approve-due"),
          b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id }),
        ]);
      }
      const payouts = (
        await b.admin("GET", `/v1/commissions?affiliate_id=${w.affiliate.id}&status=paid&limit=10000`)
      ).body.data;
      const byPayout = new Map<string, number>();
      for (const e of payouts) byPayout.set(e.payout_id, (byPayout.get(e.payout_id) ?? 0) + e.amount_minor);
      const rows = await b.store.commissions.listPayouts({ affiliateId: w.affiliate.id });
      assert.ok(rows.length >= 1);
      for (const p of rows) assert.equal(p.amountMinor, byPayout.get(p.id), `payout ${p.id} = its entries`);
      const owed = await balance(b, w.affiliate.id);
      assert.equal(owed.paid_minor + owed.approved_minor + owed.pending_minor, 48 * 10000);
    });

    test("after all of the above, month usage and balances equal a recount of the ledger", async () => {
      await assertTotalsMatchRecount(b.databaseUrl);
    });
  });
}
