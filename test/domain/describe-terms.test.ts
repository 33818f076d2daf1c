import assert from "node:assert/strict";
import { test } from "node:test";
import { describeTerms } from "../../src/domain/commissions/describe-terms.ts";
import { PLAN_PRESETS } from "../../src/domain/commissions/presets.ts";

test("the iGaming preset in words", () => {
  assert.deepEqual(describeTerms(PLAN_PRESETS.igaming, "EUR"), [
    "100.00 EUR CPA on a first deposit of at least 20.00 EUR, clawed back if reversed within 30 days.",
    "25 % revenue share of net revenue; a negative month is floored at 0 and does not carry over.",
    "Held 30 days, then approved unless reversed.",
  ]);
});

test("forex and prop presets, and the currency's own decimals", () => {
  const forex = describeTerms(PLAN_PRESETS.forex, "JPY").join(" ");
  assert.match(
    forex,
    /30000 JPY CPA on a trader reaching 1 lot within 30 days of registration with a deposit of at least 10000 JPY/,
  );
  assert.match(forex, /500 JPY per lot traded/);
  const prop = describeTerms(PLAN_PRESETS.prop, "USD").join(" ");
  assert.match(prop, /15 % of challenge_purchase and challenge_reset, taken back on a refund within 14 days/);
});

test("tiers, caps, overrides, no hold, and an empty plan", () => {
  const text = describeTerms(
    {
      cpa: {
        amountMinor: 5000,
        qualification: { kind: "challenge", minPriceMinor: 10000, alsoEvents: ["funded"] },
        clawbackDays: 1,
        tiers: [{ fromCount: 11, amountMinor: 7000 }],
      },
      cap: { cpaCount: 50 },
      parentOverrideBps: 500,
    },
    "EUR",
  );
  assert.deepEqual(text, [
    "50.00 EUR CPA on a challenge purchase of at least 100.00 EUR (or funded), clawed back if reversed within 1 day; from the 11th player of a month 70.00 EUR.",
    "At most 50 paid CPAs per affiliate and month.",
    "The affiliate's parent earns 5 % on top.",
    "Approved at once (no hold).",
  ]);
  assert.deepEqual(describeTerms({}, "EUR"), [
    "Nothing is paid: the plan has no component.",
    "Approved at once (no hold).",
  ]);
});
