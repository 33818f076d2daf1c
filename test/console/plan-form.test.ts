/**
 * The plan editor's form both ways: every preset and a plan using every component read back from
 * the fields that show it, unchanged; a refusal's field path lands on the input it concerns.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { inputOfPath, termsOf, valuesOfTerms } from "../../src/console/plan-form.ts";
import { PLAN_PRESETS } from "../../src/domain/commissions/presets.ts";
import type { Terms } from "../../src/domain/commissions/terms.ts";

const EVERYTHING: Terms = {
  cpa: {
    amountMinor: 7_550,
    qualification: { kind: "ftd", minDepositMinor: 2_500, cumulativeHours: 24 },
    clawbackDays: 30,
    tiers: [
      { fromCount: 3, amountMinor: 9_000 },
      { fromCount: 10, amountMinor: 12_000 },
    ],
  },
  revshare: { bps: 3_000, negativeCarryOver: true },
  lotRebate: { perLotMinor: 500, groups: { metals: 800, indices: 650 } },
  percentOfSale: { bps: 1_500, events: ["challenge_purchase", "challenge_reset"], refundWindowDays: 14 },
  cap: { cpaCount: 40, amountMinor: 500_000 },
  holdDays: 7,
  parentOverrideBps: 1_000,
};

const CHALLENGE: Terms = {
  cpa: {
    amountMinor: 5_000,
    qualification: { kind: "challenge", minPriceMinor: 10_000, alsoEvents: ["evaluation_pass", "funded"] },
    clawbackDays: 7,
  },
  holdDays: 0,
};

test("terms shown in the form read back unchanged (presets, every component, JPY)", () => {
  const cases: Array<[string, Terms, string]> = [
    ...Object.entries(PLAN_PRESETS).map(([v, terms]) => [v, terms, "EUR"] as [string, Terms, string]),
    ["everything", EVERYTHING, "EUR"],
    ["challenge", CHALLENGE, "USD"],
    ["yen", { cpa: { ...EVERYTHING.cpa!, amountMinor: 7_550, tiers: [] }, holdDays: 3 }, "JPY"],
  ];
  for (const [name, terms, currency] of cases) {
    const expected = name === "yen" ? { ...terms, cpa: { ...terms.cpa!, tiers: undefined } } : terms;
    const read = termsOf(valuesOfTerms(terms, currency), currency);
    assert.deepEqual(JSON.parse(JSON.stringify(read)), JSON.parse(JSON.stringify(expected)), name);
  }
});

test("a refusal's field path is shown at its input", () => {
  const table: Array<[string | undefined, string | undefined]> = [
    ["terms.cpa.amountMinor", "cpa_amount"],
    ["terms.cpa.qualification.minDepositMinor", "cpa_min_deposit"],
    ["terms.cpa.qualification.kind", "cpa_kind"],
    ["terms.cpa.tiers.1.fromCount", "cpa_tiers"],
    ["terms.revshare.bps", "revshare_bps"],
    ["terms.lotRebate.groups.metals", "lot_groups"],
    ["terms.percentOfSale.events", "sale_events"],
    ["terms.percentOfSale.bps", "sale_bps"],
    ["terms.cap.amountMinor", "cap_amount"],
    ["terms.parentOverrideBps", "parent_override_bps"],
    ["effective_from", "effective_from"],
    [undefined, undefined],
  ];
  for (const [path, input] of table) assert.equal(inputOfPath(path), input, path);
});

test("what cannot be read is refused at its input", () => {
  const values = valuesOfTerms(EVERYTHING, "EUR");
  const refused = (changes: Record<string, string>, field: string) =>
    assert.throws(
      () => termsOf({ ...values, ...changes }, "EUR"),
      (e: { field?: string }) => e.field === field,
    );
  refused({ cpa_amount: "7.555" }, "cpa_amount");
  refused({ cpa_amount: "" }, "cpa_amount");
  refused({ hold_days: "1.5" }, "hold_days");
  refused({ cpa_tiers: "three 90.00" }, "cpa_tiers");
  refused({ lot_groups: "metals" }, "lot_groups");
  refused({ cpa_kind: "other" }, "cpa_kind");
  // A negative amount is read: the use case refuses it (checkTerms), with its message.
  assert.equal(termsOf({ ...values, cpa_amount: "-1.00" }, "EUR").cpa?.amountMinor, -100);
});
