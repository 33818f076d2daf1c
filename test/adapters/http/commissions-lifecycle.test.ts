/**
 * The life of ledger entries through the real postback endpoint, on every engine: the hold job
 * (pending → approved, or pending → reversed when fully clawed back), sub-affiliate overrides,
 * plan versions by effective date, and `negativeCarryOver` both ways.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { expectStatus, type World } from "./admin-kit.ts";
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
  describe(`commission lifecycle (${engine})`, () => {
    let b: Bench;
    before(async () => {
      b = await startBench(engine);
    });
    after(() => b.close());

    const ftd = async (w: World, player = `p${Math.random()}`, extra: Record<string, string> = {}) =>
      send(
        b,
        w,
        ev("ftd", {
          click_id: await clickOf(b, w),
          player_id: player,
          amount: "50.00",
          currency: "EUR",
          ...extra,
        }),
      );
    const of = (id: string) => entries(b, `conversion_id=${id}`);
    const txOf = async (id: string) => (await b.admin("GET", `/v1/conversions/${id}`)).body.txid as string;
    const approveDue = async () => {
      const reply = await b.admin("POST", "/v1/commissions/approve-due");
      expectStatus(reply, 200);
      return reply.body as { approved: number; reversed: number };
    };

    test("hold: pending until the hold ends, then approved; fully clawed back: reversed", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA, holdDays: 7 });
      const kept = await ftd(w);
      const clawed = await ftd(w);
      const cb = await send(b, w, ev("chargeback", { reverses: await txOf(clawed) }));
      assert.deepEqual(
        (await of(cb)).map((e) => [e.amount_minor, e.status]),
        [[-10000, "pending"]],
      );
      await approveDue();
      assert.equal((await of(kept))[0]!.status, "pending", "the hold has not ended");
      b.advance(8 * DAY);
      await approveDue();
      assert.equal((await of(kept))[0]!.status, "approved");
      assert.equal((await of(clawed))[0]!.status, "reversed");
      assert.equal((await of(cb))[0]!.status, "reversed");
      const owed = await balance(b, w.affiliate.id);
      assert.deepEqual([owed.approved_minor, owed.pending_minor, owed.reversed_minor], [10000, 0, 0]);
    });

    test("parents, deals and FX rates refuse what cannot be stored", async () => {
      const w = await worldOf(b, "igaming");
      const parentOf = (id: number, parent_id: number | null) =>
        b.admin("PUT", `/v1/affiliates/${id}/parent`, { parent_id });
      const top = await b.admin("POST", "/v1/affiliates", { name: "Top partner" });
      expectStatus(top, 201);
      expectStatus(await parentOf(w.affiliate.id, top.body.id), 200);
      expectStatus(await parentOf(w.affiliate.id, w.affiliate.id), 400, "invalid_field", "parent_id");
      expectStatus(await parentOf(top.body.id, w.affiliate.id), 400, "invalid_field", "parent_id");
      expectStatus(await parentOf(w.affiliate.id, 999_999_999), 400, "invalid_field", "parent_id");
      expectStatus(await parentOf(999_999_999, null), 404, "not_found");
      const deal = await b.admin("POST", `/v1/programs/${w.program.id}/plans`, {
        terms: { cpa: CPA },
        affiliate_id: 999_999_999,
      });
      expectStatus(deal, 400, "invalid_field", "affiliate_id");
      const rate = (body: Record<string, string>) =>
        b.admin("POST", "/v1/fx-rates", { base: "USD", quote: "EUR", rate: "0.9", ...body });
      expectStatus(await rate({ base: "NOPE" }), 400, "unknown_currency", "base");
      expectStatus(await rate({ quote: "NOPE" }), 400, "unknown_currency", "quote");
      for (const bad of ["0", "-1", "abc"])
        expectStatus(await rate({ rate: bad }), 400, "invalid_field", "rate");
      const listed = await b.admin("GET", "/v1/fx-rates");
      expectStatus(listed, 200);
      assert.equal(
        listed.body.data.some(
          (r: { base: string; quote: string }) => r.base === "NOPE" || r.quote === "NOPE",
        ),
        false,
      );
    });

    test("sub-affiliate override: the parent earns its share of each child line", async () => {
      const w = await worldOf(b, "igaming");
      const parent = await b.admin("POST", "/v1/affiliates", { name: "Master partner" });
      expectStatus(
        await b.admin("PUT", `/v1/affiliates/${w.affiliate.id}/parent`, { parent_id: parent.body.id }),
        200,
      );
      await addPlan(b, w, {
        cpa: CPA,
        revshare: { bps: 3000, negativeCarryOver: true },
        parentOverrideBps: 1000,
      });
      const lines = await of(await ftd(w));
      assert.deepEqual(
        lines
          .map((e) => [e.affiliate_id, e.kind, e.amount_minor])
          .sort((x, y) => Number(y[2]) - Number(x[2])),
        [
          [w.affiliate.id, "commission", 10000],
          [parent.body.id, "override", 1000],
        ],
      );
      const revenue = await send(
        b,
        w,
        ev("revenue", { click_id: await clickOf(b, w), player_id: "rv", amount: "-33.35", currency: "EUR" }),
      );
      // child: -3335 × 30% = -1000.5 → -1001; parent: -1001 × 10% = -100.1 → -100.
      assert.deepEqual(amounts(await of(revenue)), [-1001, -100]);
    });

    test("plan versions: a change applies from its date; entries already written are unchanged", async () => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { cpa: CPA });
      const before = await ftd(w);
      const from = new Date(b.now() - 10 * DAY).toISOString();
      await addPlan(b, w, { cpa: { ...CPA, amountMinor: 12000 } }, { effective_from: from });
      const old = new Date(b.now() - 20 * DAY).toISOString();
      const olderEvent = await ftd(w, "old", { occurred_at: old });
      const newer = await ftd(w);
      assert.deepEqual(amounts(await of(before)), [10000], "written before the change: unchanged");
      assert.deepEqual(amounts(await of(olderEvent)), [10000], "occurred before the new version's date");
      const [line] = await of(newer);
      assert.equal(line!.amount_minor, 12000);
      assert.ok(line!.explain["plan_id"]);
      const deal = await addPlan(
        b,
        w,
        { cpa: { ...CPA, amountMinor: 15000 } },
        { affiliate_id: w.affiliate.id },
      );
      const [dealt] = await of(await ftd(w));
      assert.deepEqual([dealt!.amount_minor, dealt!.explain["deal_id"]], [15000, deal.id]);
    });

    const revshareMonths = async (negativeCarryOver: boolean) => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, { revshare: { bps: 2500, negativeCarryOver } });
      const now = new Date(b.now());
      const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 5)).toISOString();
      const cid = await clickOf(b, w);
      const revenue = async (amount: string, at?: string) =>
        of(
          await send(
            b,
            w,
            ev("revenue", {
              click_id: cid,
              player_id: "nm",
              amount,
              currency: "EUR",
              ...(at ? { occurred_at: at } : {}),
            }),
          ),
        );
      const month1 = [...(await revenue("100.00", lastMonth)), ...(await revenue("-300.00", lastMonth))];
      const month2 = await revenue("100.00");
      return { w, month1, month2 };
    };

    test("negativeCarryOver: true: a negative month carries into the next balance", async () => {
      const { w, month1, month2 } = await revshareMonths(true);
      assert.deepEqual([sum(month1), sum(month2)], [-5000, 2500]);
      assert.equal((await balance(b, w.affiliate.id)).approved_minor, -2500);
    });

    test("negativeCarryOver: false: a negative month is floored at 0 and does not carry", async () => {
      const { w, month1, month2 } = await revshareMonths(false);
      assert.deepEqual(month1.map((e) => `${e.kind} ${e.amount_minor}`).sort(), [
        "commission -7500",
        "commission 2500",
        "floor 5000",
      ]);
      const floor = month1.find((e) => e.kind === "floor")!;
      assert.equal(floor.reason, "negative_not_carried");
      assert.match(floor.explanation, /does not carry over/);
      assert.deepEqual([sum(month1), sum(month2)], [0, 2500]);
      assert.equal((await balance(b, w.affiliate.id)).approved_minor, 2500);
    });

    test("clawbacks and the floors a reversal writes name the plan and deal they come from", async () => {
      const w = await worldOf(b, "igaming");
      const plan = await addPlan(b, w, { cpa: CPA, revshare: { bps: 2500, negativeCarryOver: false } });
      const deal = await addPlan(
        b,
        w,
        { cpa: { ...CPA, amountMinor: 15000 } },
        { affiliate_id: w.affiliate.id },
      );
      const player = `p${Math.random()}`;
      const first = await ftd(w, player);
      const cb = await send(b, w, ev("chargeback", { reverses: await txOf(first) }));
      const [clawback] = await of(cb);
      assert.equal(clawback!.kind, "clawback");
      assert.deepEqual([clawback!.explain["plan_id"], clawback!.explain["deal_id"]], [plan.id, deal.id]);

      // Revenue, then its reversal taking the month below 0: the floor line says which plan floors it.
      const cid = await clickOf(b, w);
      const revenue = await send(
        b,
        w,
        ev("revenue", { click_id: cid, player_id: "floor-p", amount: "100.00", currency: "EUR" }),
      );
      await send(
        b,
        w,
        ev("revenue", { click_id: cid, player_id: "floor-p", amount: "-50.00", currency: "EUR" }),
      );
      const reversal = await send(
        b,
        w,
        ev("refund", { reverses: await txOf(revenue), amount: "100.00", currency: "EUR" }),
      );
      const written = await of(reversal);
      assert.deepEqual(written.map((e) => `${e.kind} ${e.amount_minor}`).sort(), [
        "clawback -2500",
        "floor 1250",
      ]);
      for (const e of written)
        assert.deepEqual([e.kind, e.explain["plan_id"], e.explain["deal_id"]], [e.kind, plan.id, deal.id]);
    });
  });
}
