import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type EarnEvent, type EarnInput, earn, overrideLines } from "../../../src/domain/commissions/earn.ts";
import { bpsOf, convert, periodOf } from "../../../src/domain/commissions/exact.ts";
import { compensate, compensationState } from "../../../src/domain/commissions/reverse.ts";
import type { Terms } from "../../../src/domain/commissions/terms.ts";

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2025, 0, 10);

const event = (over: Partial<EarnEvent>): EarnEvent => ({
  event: "ftd",
  amountMinor: 2000,
  currency: "EUR",
  lotsMilli: null,
  occurredAt: T0,
  extra: {},
  clickAt: T0 - D,
  ...over,
});
const base = (terms: Terms, over: Partial<EarnEvent>, rest: Partial<EarnInput> = {}): EarnInput => ({
  conversion: event(over),
  terms,
  programCurrency: "EUR",
  lookbackDays: 30,
  fx: undefined,
  player: { events: [], registeredAt: T0 - D },
  usage: { qualified: 0, paidCpa: 0, paidMinor: 0 },
  ...rest,
});
const total = (input: EarnInput) => earn(input).lines.reduce((s, l) => s + l.amountMinor, 0);

const IGAMING: Terms = {
  cpa: {
    amountMinor: 10000,
    qualification: { kind: "ftd", minDepositMinor: 2000 },
    clawbackDays: 30,
    tiers: [{ fromCount: 11, amountMinor: 15000 }],
  },
  revshare: { bps: 2500, negativeCarryOver: false },
  cap: { cpaCount: 20 },
};
const CUMULATIVE: Terms = {
  cpa: {
    amountMinor: 10000,
    qualification: { kind: "ftd", minDepositMinor: 2000, cumulativeHours: 24 },
    clawbackDays: 30,
  },
};

test("iGaming rules", () => {
  const rows: Array<[string, EarnInput, number, string | null]> = [
    ["FTD exactly at the minimum", base(IGAMING, { amountMinor: 2000 }), 10000, null],
    ["FTD one minor unit under", base(IGAMING, { amountMinor: 1999 }), 0, null],
    [
      "tier boundary: 10th player at base",
      base(IGAMING, {}, { usage: { qualified: 9, paidCpa: 9, paidMinor: 0 } }),
      10000,
      null,
    ],
    [
      "tier boundary: 11th player at tier",
      base(IGAMING, {}, { usage: { qualified: 10, paidCpa: 10, paidMinor: 0 } }),
      15000,
      null,
    ],
    [
      "cap reached",
      base(IGAMING, {}, { usage: { qualified: 20, paidCpa: 20, paidMinor: 0 } }),
      0,
      "cap_reached",
    ],
    ["lookback expired", base(IGAMING, { clickAt: T0 - 31 * D }), 0, "lookback_expired"],
    ["already qualified player", base(IGAMING, {}, { player: null }), 0, null],
    [
      "negative revenue month, negativeCarryOver: false: floored to 0",
      base(IGAMING, { event: "revenue", amountMinor: -1001 }),
      0,
      null,
    ],
    [
      "negative revenue month, negativeCarryOver: true: carried",
      base({ revshare: { bps: 2500, negativeCarryOver: true } }, { event: "revenue", amountMinor: -1001 }),
      -250,
      null,
    ],
    ["revenue rounding half away", base(IGAMING, { event: "revenue", amountMinor: 1002 }), 251, null],
    [
      "cumulative deposits within window",
      base(
        CUMULATIVE,
        { event: "deposit", amountMinor: 1000, occurredAt: T0 + 23 * H },
        {
          player: {
            events: [{ event: "ftd", at: T0, amountMinor: 1000, lotsMilli: null }],
            registeredAt: null,
          },
        },
      ),
      10000,
      null,
    ],
    [
      "cumulative deposit after window",
      base(
        CUMULATIVE,
        { event: "deposit", amountMinor: 1000, occurredAt: T0 + 25 * H },
        {
          player: {
            events: [{ event: "ftd", at: T0, amountMinor: 1000, lotsMilli: null }],
            registeredAt: null,
          },
        },
      ),
      0,
      null,
    ],
    [
      "FX rounding: USD revenue into EUR",
      base(
        IGAMING,
        { event: "revenue", amountMinor: 333, currency: "USD" },
        { fx: { from: "USD", to: "EUR", rate: "0.9" } },
      ),
      75,
      null,
    ],
    [
      "no FX rate",
      base(IGAMING, { event: "revenue", amountMinor: 333, currency: "USD" }, { fx: "missing" }),
      0,
      "no_fx_rate",
    ],
  ];
  for (const [name, input, amount, reason] of rows) {
    assert.equal(total(input), amount, name);
    const lines = earn(input).lines;
    if (reason) assert.equal(lines[0]?.reason, reason, name);
  }
});

const FOREX: Terms = {
  cpa: {
    amountMinor: 30000,
    qualification: { kind: "qualified_trader", minLotsMilli: 1000, withinDays: 30, minDepositMinor: 10000 },
    clawbackDays: 60,
  },
  lotRebate: { perLotMinor: 500, groups: { metals: 800 } },
};
const dep = { event: "ftd", at: T0 - D, amountMinor: 10000, lotsMilli: null };
const trade = (lots: number, at = T0 - H) => ({ event: "trade", at, amountMinor: null, lotsMilli: lots });

test("forex rules", () => {
  const reg = T0 - 2 * D;
  const rows: Array<[string, EarnInput, number]> = [
    [
      "exactly N lots",
      base(
        FOREX,
        { event: "trade", amountMinor: null, lotsMilli: 500 },
        { player: { events: [dep, trade(500)], registeredAt: reg } },
      ),
      30000 + 250,
    ],
    [
      "one milli-lot under",
      base(
        FOREX,
        { event: "trade", amountMinor: null, lotsMilli: 499 },
        { player: { events: [dep, trade(500)], registeredAt: reg } },
      ),
      250,
    ],
    [
      "lots outside D days",
      base(
        FOREX,
        { event: "trade", amountMinor: null, lotsMilli: 1000, occurredAt: reg + 31 * D },
        { player: { events: [dep], registeredAt: reg } },
      ),
      500,
    ],
    [
      "deposit under minimum",
      base(
        FOREX,
        { event: "trade", amountMinor: null, lotsMilli: 1000 },
        { player: { events: [{ ...dep, amountMinor: 9999 }], registeredAt: reg } },
      ),
      500,
    ],
    [
      "posted qualified_trader",
      base(
        FOREX,
        { event: "qualified_trader", amountMinor: null },
        { player: { events: [dep], registeredAt: reg } },
      ),
      30000,
    ],
    [
      "instrument group rebate",
      base(
        FOREX,
        { event: "trade", amountMinor: null, lotsMilli: 1500, extra: { instrument_group: "metals" } },
        { player: null },
      ),
      1200,
    ],
  ];
  for (const [name, input, amount] of rows) assert.equal(total(input), amount, name);
});

const PROP: Terms = {
  cpa: {
    amountMinor: 5000,
    qualification: { kind: "challenge", minPriceMinor: 10000, alsoEvents: ["funded"] },
    clawbackDays: 14,
  },
  percentOfSale: { bps: 1500, events: ["challenge_purchase", "challenge_reset"], refundWindowDays: 14 },
};

test("prop rules", () => {
  const rows: Array<[string, EarnInput, number]> = [
    [
      "purchase at minimum price",
      base(PROP, { event: "challenge_purchase", amountMinor: 10000 }),
      5000 + 1500,
    ],
    ["purchase one unit under", base(PROP, { event: "challenge_purchase", amountMinor: 9999 }), 1500],
    [
      "reset earns % of sale only",
      base(PROP, { event: "challenge_reset", amountMinor: 5000 }, { player: null }),
      750,
    ],
    ["funded qualifies", base(PROP, { event: "funded", amountMinor: null }), 5000],
  ];
  for (const [name, input, amount] of rows) assert.equal(total(input), amount, name);
});

test("amount cap reached mid-batch clips the line that crosses it", () => {
  const terms: Terms = { revshare: { bps: 10000, negativeCarryOver: true }, cap: { amountMinor: 1000 } };
  const result = earn(
    base(
      terms,
      { event: "revenue", amountMinor: 700 },
      { usage: { qualified: 0, paidCpa: 0, paidMinor: 500 } },
    ),
  );
  assert.equal(result.lines[0]!.amountMinor, 500);
  assert.equal(result.lines[0]!.reason, "cap_reached");
});

test("reversals: partial, whole, windows", () => {
  const entry = {
    id: "e1",
    affiliateId: 1,
    component: "percentOfSale",
    amountMinor: 1501,
    windowDays: 14,
    compensatedMinor: 0,
  };
  const input = {
    originalAmountMinor: 10007,
    originalAt: T0,
    reversedBeforeMinor: 0,
    reversedNowMinor: 5000,
    reversalAt: T0 + D,
  };
  const rows: Array<[string, ReturnType<typeof compensate>, number[]]> = [
    ["partial refund", compensate([entry], input), [-750]],
    [
      "rest of the refund completes the negation",
      compensate([{ ...entry, compensatedMinor: -750 }], {
        ...input,
        reversedBeforeMinor: 5000,
        reversedNowMinor: 5007,
      }),
      [-751],
    ],
    ["whole reversal without amount", compensate([entry], { ...input, reversedNowMinor: null }), [-1501]],
    ["outside the refund window", compensate([entry], { ...input, reversalAt: T0 + 15 * D }), []],
    [
      "no window (revshare)",
      compensate([{ ...entry, windowDays: null }], { ...input, reversalAt: T0 + 400 * D }),
      [-750],
    ],
  ];
  for (const [name, out, amounts] of rows)
    assert.deepEqual(
      out.map((c) => c.amountMinor),
      amounts,
      name,
    );
});

test("a compensation of a pending entry keeps its hold; of any other, or of nothing, it is approved now", () => {
  const now = T0 + 5 * D;
  const cases: Array<
    [string, Parameters<typeof compensationState>[0], ReturnType<typeof compensationState>]
  > = [
    [
      "pending",
      { status: "pending", approveAt: T0 + 7 * D },
      { status: "pending", approveAt: T0 + 7 * D, approvedAt: null },
    ],
    [
      "approved",
      { status: "approved", approveAt: T0 },
      { status: "approved", approveAt: now, approvedAt: now },
    ],
    ["paid", { status: "paid", approveAt: T0 }, { status: "approved", approveAt: now, approvedAt: now }],
    ["manual credit (no original)", undefined, { status: "approved", approveAt: now, approvedAt: now }],
  ];
  for (const [name, original, expected] of cases)
    assert.deepEqual(compensationState(original, now), expected, name);
});

test("property: reversals never exceed the original and add up to its negation", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.integer({ min: 1, max: 1e7 }),
      fc.array(fc.integer({ min: 1, max: 1e6 }), { maxLength: 8 }),
      (amount, original, parts) => {
        let compensated = 0;
        let before = 0;
        for (const part of parts) {
          const now = Math.min(part, original - before);
          if (now <= 0) break;
          const out = compensate(
            [
              {
                id: "e",
                affiliateId: 1,
                component: "cpa",
                amountMinor: amount,
                windowDays: null,
                compensatedMinor: compensated,
              },
            ],
            {
              originalAmountMinor: original,
              originalAt: 0,
              reversedBeforeMinor: before,
              reversedNowMinor: now,
              reversalAt: 0,
            },
          );
          compensated += out.reduce((s, c) => s + c.amountMinor, 0);
          before += now;
          assert.ok(Math.abs(compensated) <= Math.abs(amount));
        }
        // Sum rather than `-amount`: for a zero amount that is -0, which strict equality tells from 0.
        if (before === original) assert.equal(compensated + amount, 0);
      },
    ),
  );
});

test("property: one rounding, error below one minor unit (and FX exact)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1e12, max: 1e12 }),
      fc.integer({ min: 0, max: 10000 }),
      fc.integer({ min: 1, max: 999999 }),
      (minor, bps, rateMicro) => {
        const rate = (rateMicro / 1e6).toFixed(6);
        const got = bpsOf(minor, bps, { from: "USD", to: "JPY", rate });
        // exact = minor/100 × rate × bps/10000 JPY units (exponent 0)
        const exact = BigInt(minor) * BigInt(bps) * BigInt(rateMicro);
        const den = 100n * 10000n * 1000000n;
        const diff = BigInt(got) * den - exact;
        assert.ok((diff < 0n ? -diff : diff) * 2n <= den);
      },
    ),
  );
  assert.equal(convert(1000, { from: "JPY", to: "EUR", rate: "0.0061" }), 610);
  assert.equal(periodOf(Date.UTC(2025, 1, 28, 23, 59)), "2025-02");
});

test("periodOf is the UTC month toISOString gives, for any instant of years 1000 to 9999 (property)", () => {
  const from = Date.UTC(1000, 0, 1);
  const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  fc.assert(
    fc.property(fc.integer({ min: from, max: to }), (at) => {
      assert.equal(periodOf(at), new Date(at).toISOString().slice(0, 7));
    }),
    { numRuns: 20_000 },
  );
  for (const at of [
    Date.UTC(2024, 1, 29, 23, 59, 59, 999),
    Date.UTC(2024, 2, 1),
    Date.UTC(2000, 1, 29),
    0,
    -1,
  ])
    assert.equal(periodOf(at), new Date(at).toISOString().slice(0, 7), String(at));
});

test("sub-affiliate override takes bps of each child line", () => {
  const lines = earn(base(IGAMING, {})).lines;
  assert.deepEqual(
    overrideLines(lines, 1000).map((l) => l.amountMinor),
    [1000],
  );
});
