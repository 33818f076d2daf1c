import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ErrorCode } from "../../src/domain/errors.ts";
import { type ReversibleEvent, reversalAmount } from "../../src/domain/reversal.ts";

const FTD: ReversibleEvent = { event: "ftd", amountMinor: 10_000, currency: "EUR", reversesId: null };
const REGISTRATION: ReversibleEvent = {
  event: "registration",
  amountMinor: null,
  currency: null,
  reversesId: null,
};

type Row = [
  string,
  ReversibleEvent,
  number | undefined,
  number | undefined,
  string | undefined,
  number | null | [ErrorCode, string],
];

describe("reversalAmount", () => {
  const rows: Row[] = [
    ["no amount takes all", FTD, undefined, undefined, undefined, 10_000],
    ["no amount takes what remains", FTD, 2_500, undefined, undefined, 7_500],
    ["a partial amount", FTD, undefined, 3_000, "EUR", 3_000],
    ["exactly what remains", FTD, 4_000, 6_000, "EUR", 6_000],
    ["more than remains", FTD, 4_000, 6_001, "EUR", ["reversal_exceeds_original", "amount"]],
    ["more than the original", FTD, undefined, 10_001, "EUR", ["reversal_exceeds_original", "amount"]],
    ["nothing left, no amount", FTD, 10_000, undefined, undefined, ["reversal_exceeds_original", "reverses"]],
    ["another currency", FTD, undefined, 100, "USD", ["currency_mismatch", "currency"]],
    ["zero", FTD, undefined, 0, "EUR", ["invalid_amount", "amount"]],
    [
      "a reversal cannot be reversed",
      { ...FTD, event: "refund", reversesId: "cv_1" },
      undefined,
      undefined,
      undefined,
      ["invalid_reversal", "reverses"],
    ],
    [
      "a negative original",
      { ...FTD, event: "revenue", amountMinor: -500 },
      undefined,
      undefined,
      undefined,
      ["invalid_reversal", "reverses"],
    ],
    ["an amountless event, once", REGISTRATION, undefined, undefined, undefined, null],
    [
      "an amountless event, twice",
      REGISTRATION,
      0,
      undefined,
      undefined,
      ["reversal_exceeds_original", "reverses"],
    ],
    ["an amount on an amountless event", REGISTRATION, undefined, 100, "EUR", ["invalid_reversal", "amount"]],
  ];
  for (const [name, original, already, amount, currency, expected] of rows) {
    test(name, () => {
      const result = reversalAmount(original, already, amount, currency);
      if (Array.isArray(expected)) {
        assert.ok(!result.ok, `expected ${expected[0]}`);
        assert.deepEqual([result.error.code, result.error.field], expected);
      } else {
        assert.ok(result.ok, result.ok ? "" : result.error.message);
        assert.equal(result.value, expected);
      }
    });
  }

  test("the refusal says what remains, in the currency's format", () => {
    const result = reversalAmount(FTD, 9_950, 51, "EUR");
    assert.ok(!result.ok);
    assert.match(result.error.message, /0\.50 EUR/);
  });

  test("property: accepted reversals never add up to more than the original", () => {
    const attempt = fc.record({ amount: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(attempt, { maxLength: 12 }),
        (original, attempts) => {
          const event: ReversibleEvent = { ...FTD, amountMinor: original };
          let taken: number | undefined;
          for (const { amount } of attempts) {
            const result = reversalAmount(event, taken, amount, "EUR");
            if (result.ok) taken = (taken ?? 0) + (result.value ?? 0);
          }
          assert.ok((taken ?? 0) <= original);
        },
      ),
    );
  });
});
