/**
 * Commission rules per vertical through the real postback endpoint, on every engine: one named
 * row per edge (exact threshold, one minor unit under, partial refund, chargeback after payout, cap
 * reached mid-batch, tier boundary, FX rounding, lots within D days, refund window).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import type { World } from "./admin-kit.ts";
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

const IGAMING = {
  cpa: CPA,
  revshare: { bps: 2500, negativeCarryOver: true },
};
const FOREX = {
  cpa: {
    amountMinor: 30000,
    qualification: { kind: "qualified_trader", minLotsMilli: 1000, withinDays: 30, minDepositMinor: 10000 },
    clawbackDays: 60,
  },
  lotRebate: { perLotMinor: 500, groups: { metals: 800 } },
};
const PROP = {
  cpa: { amountMinor: 5000, qualification: { kind: "challenge", minPriceMinor: 10000 }, clawbackDays: 7 },
  percentOfSale: { bps: 1500, events: ["challenge_purchase"], refundWindowDays: 7 },
};

for (const engine of await availableEngines()) {
  describe(`commissions per vertical (${engine})`, () => {
    let b: Bench;
    before(async () => {
      b = await startBench(engine);
    });
    after(() => b.close());

    const igaming = async (terms: unknown = IGAMING) => {
      const w = await worldOf(b, "igaming");
      await addPlan(b, w, terms);
      return w;
    };
    const ftd = async (w: World, amount: string, player = `p${Math.random()}`) =>
      send(b, w, ev("ftd", { click_id: await clickOf(b, w), player_id: player, amount, currency: "EUR" }));
    const of = (id: string) => entries(b, `conversion_id=${id}`);

    test("iGaming: FTD exactly at the minimum deposit pays the CPA", async () => {
      assert.deepEqual(amounts(await of(await ftd(await igaming(), "20.00"))), [10000]);
    });

    test("iGaming: FTD one minor unit under the minimum pays nothing", async () => {
      assert.deepEqual(amounts(await of(await ftd(await igaming(), "19.99"))), []);
    });

    test("iGaming: partial refunds claw back in proportion and add up to the whole", async () => {
      const w = await igaming();
      const id = await ftd(w, "50.00");
      const [original] = await of(id);
      const tx = (await b.admin("GET", `/v1/conversions/${id}`)).body.txid;
      const first = await send(b, w, ev("refund", { reverses: tx, amount: "12.50", currency: "EUR" }));
      assert.deepEqual(amounts(await of(first)), [-2500]);
      const rest = await send(b, w, ev("refund", { reverses: tx, amount: "37.50", currency: "EUR" }));
      const clawback = await of(rest);
      assert.deepEqual(amounts(clawback), [-7500]);
      assert.equal(clawback[0]!.reverses_entry_id, original!.id);
      assert.equal(clawback[0]!.kind, "clawback");
    });

    test("iGaming: a chargeback after payout carries into the next balance", async () => {
      const w = await igaming();
      const id = await ftd(w, "50.00");
      const period = new Date(b.now()).toISOString().slice(0, 7);
      const paid = await b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id });
      assert.equal(paid.body.data[0].amount_minor, 10000);
      const tx = (await b.admin("GET", `/v1/conversions/${id}`)).body.txid;
      const cb = await send(b, w, ev("chargeback", { reverses: tx }));
      assert.deepEqual(
        (await of(cb)).map((e) => [e.amount_minor, e.status]),
        [[-10000, "approved"]],
      );
      const owed = await balance(b, w.affiliate.id);
      assert.deepEqual([owed.paid_minor, owed.approved_minor], [10000, -10000]);
      const none = await b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id });
      assert.equal(none.body.data.length, 0, "a negative balance is not paid");
      await send(
        b,
        w,
        ev("revenue", { click_id: await clickOf(b, w), player_id: "r1", amount: "600.00", currency: "EUR" }),
      );
      const next = await b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id });
      assert.equal(next.body.data[0].amount_minor, 15000 - 10000);
    });

    test("iGaming: a cap reached mid-batch pays up to the cap, the rest at 0 with the reason", async () => {
      const w = await igaming({ ...IGAMING, cap: { cpaCount: 2 } });
      const players = ["c1", "c2", "c3", "c4", "c5"];
      for (const p of players)
        await send(b, w, ev("registration", { click_id: await clickOf(b, w), player_id: p }));
      const ids = await Promise.all(
        players.map((p) => send(b, w, ev("ftd", { player_id: p, amount: "50.00", currency: "EUR" }))),
      );
      const lines = (await Promise.all(ids.map(of))).flat();
      assert.equal(lines.length, 5);
      assert.equal(sum(lines), 20000);
      const capped = lines.filter((e) => e.reason === "cap_reached");
      assert.equal(capped.length, 3);
      assert.match(capped[0]!.explanation, /cap of 2 CPAs/);
    });

    test("iGaming: tier boundary: the 3rd player of the month gets the tier, earlier ones keep theirs", async () => {
      const w = await igaming({
        cpa: { ...IGAMING.cpa, tiers: [{ fromCount: 3, amountMinor: 15000 }] },
      });
      const paid = [];
      for (const amount of ["20.00", "30.00", "40.00", "50.00"])
        paid.push(...amounts(await of(await ftd(w, amount))));
      assert.deepEqual(paid, [10000, 10000, 15000, 15000]);
    });

    test("iGaming: FX rounding: USD revenue into EUR, rate stored on the entry, rounded once", async () => {
      const w = await igaming();
      const rate = await b.admin("POST", "/v1/fx-rates", {
        base: "USD",
        quote: "EUR",
        rate: "0.9",
        effective_from: "2000-01-01T00:00:00Z",
      });
      assert.equal(rate.status, 201, rate.text);
      const id = await send(
        b,
        w,
        ev("revenue", { click_id: await clickOf(b, w), player_id: "fx", amount: "3.33", currency: "USD" }),
      );
      const [line] = await of(id);
      // 333 US cents × 25% × 0.9 = 74.925 euro cents → 75 (one rounding; rounding twice gives 74).
      assert.deepEqual([line!.amount_minor, line!.fx_rate], [75, "0.9"]);
      assert.match(line!.explanation, /rate 0\.9 USD→EUR/);
    });

    const forex = async (terms: unknown = FOREX) => {
      const w = await worldOf(b, "forex", "EUR", { lookback_days: 365 });
      await addPlan(b, w, terms);
      const player = `t${Math.random()}`;
      await send(b, w, ev("registration", { click_id: await clickOf(b, w), player_id: player }));
      await send(b, w, ev("ftd", { player_id: player, amount: "100.00", currency: "EUR" }));
      const trade = async (lots: string, extra: Record<string, string> = {}) =>
        amounts(await of(await send(b, w, ev("trade", { player_id: player, lots, ...extra }))));
      return { w, player, trade };
    };

    test("forex: exactly N lots within D days makes a qualified trader (CPA + rebate)", async () => {
      const { trade } = await forex();
      assert.deepEqual(await trade("0.5"), [250]);
      assert.deepEqual(await trade("0.5"), [30000, 250]);
      assert.deepEqual(await trade("2"), [1000], "one CPA per player");
    });

    test("forex: one milli-lot under pays the rebate only; a metals lot uses its group rate", async () => {
      const { trade } = await forex();
      assert.deepEqual(await trade("0.5"), [250]);
      assert.deepEqual(await trade("0.499"), [250]);
      const metals = await trade("1.5", { instrument_group: "metals" });
      assert.deepEqual(metals, [30000, 1200], "metals rebate 8.00/lot; 2.499 lots now qualify");
    });

    test("forex: lots traded after D days of registration do not count", async () => {
      const q = { ...FOREX.cpa.qualification, withinDays: 10 };
      const { trade } = await forex({ ...FOREX, cpa: { ...FOREX.cpa, qualification: q } });
      assert.deepEqual(await trade("0.5"), [250]);
      b.advance(11 * DAY);
      assert.deepEqual(await trade("0.5"), [250], "0.5 lot within 10 days, 0.5 after: no CPA");
    });

    const prop = async () => {
      const w = await worldOf(b, "prop");
      await addPlan(b, w, PROP);
      const buy = async (amount: string) =>
        send(
          b,
          w,
          ev("challenge_purchase", {
            click_id: await clickOf(b, w),
            player_id: `b${Math.random()}`,
            amount,
            currency: "EUR",
          }),
        );
      return { w, buy };
    };

    test("prop: a purchase at the minimum price pays the CPA and 15% of the sale", async () => {
      const { buy } = await prop();
      assert.deepEqual(amounts(await of(await buy("100.00"))), [5000, 1500]);
    });

    test("prop: one minor unit under pays the % of sale only, rounded half away from zero", async () => {
      const { buy } = await prop();
      assert.deepEqual(amounts(await of(await buy("99.99"))), [1500]);
    });

    test("prop: a partial refund within the window, then one after it is left alone", async () => {
      const { w, buy } = await prop();
      const id = await buy("100.07");
      assert.deepEqual(amounts(await of(id)), [5000, 1501]);
      const tx = (await b.admin("GET", `/v1/conversions/${id}`)).body.txid;
      const refund = await send(b, w, ev("refund", { reverses: tx, amount: "50.00", currency: "EUR" }));
      // 5000 × 5000/10007 = 2498.25 → 2498; 1501 × 5000/10007 = 749.97 → 750.
      assert.deepEqual(amounts(await of(refund)), [-2498, -750]);
      b.advance(8 * DAY);
      const late = await send(b, w, ev("refund", { reverses: tx, amount: "10.00", currency: "EUR" }));
      assert.deepEqual(amounts(await of(late)), [], "both windows (7 days) are over");
    });
  });
}
