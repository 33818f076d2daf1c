/**
 * checkTerms (domain/commissions/check-terms.ts), case by case: each term refused names its field
 * as the API does; terms within bounds pass. Some of these (fractions, negatives) only the console
 * can send, since the API's JSON schema refuses them first.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkTerms } from "../../../src/domain/commissions/check-terms.ts";
import type { Terms } from "../../../src/domain/commissions/terms.ts";
import { PostwireError } from "../../../src/domain/errors.ts";

const ftd = { kind: "ftd" as const, minDepositMinor: 2000 };
const cpa = (over: object = {}) => ({ cpa: { amountMinor: 5000, qualification: ftd, ...over } });

const refused: Array<[string, Terms]> = [
  ["terms.cpa.amountMinor", cpa({ amountMinor: 50.5 }) as Terms],
  ["terms.cpa.amountMinor", cpa({ amountMinor: -1 }) as Terms],
  ["terms.cpa.clawbackDays", cpa({ clawbackDays: 1.5 }) as Terms],
  [
    "terms.cpa.qualification.minDepositMinor",
    cpa({ qualification: { kind: "ftd", minDepositMinor: -5 } }) as Terms,
  ],
  [
    "terms.cpa.tiers.1.fromCount",
    cpa({
      tiers: [
        { fromCount: 10, amountMinor: 6000 },
        { fromCount: 10, amountMinor: 7000 },
      ],
    }) as Terms,
  ],
  ["terms.cpa.tiers.0.fromCount", cpa({ tiers: [{ fromCount: 0, amountMinor: 6000 }] }) as Terms],
  ["terms.revshare.bps", { revshare: { bps: 10_001 } } as Terms],
  ["terms.lotRebate.groups", { lotRebate: { perLotMinor: 100, groups: { " ": 5 } } } as Terms],
  ["terms.lotRebate.groups", { lotRebate: { perLotMinor: 100, groups: { fx: -5 } } } as Terms],
  ["terms.percentOfSale.events", { percentOfSale: { bps: 500, events: [] } } as unknown as Terms],
  ["terms.percentOfSale.bps", { percentOfSale: { bps: 20_000, events: ["purchase"] } } as unknown as Terms],
  ["terms.cap.cpaCount", { ...cpa(), cap: { cpaCount: 2.5 } } as Terms],
  ["terms.holdDays", { holdDays: -3 } as Terms],
  ["terms.parentOverrideBps", { parentOverrideBps: 10_001 } as Terms],
];

for (const [field, terms] of refused)
  test(`refused: ${field} in ${JSON.stringify(terms)}`, () => {
    assert.throws(
      () => checkTerms(terms),
      (error: unknown) =>
        error instanceof PostwireError && error.code === "invalid_field" && error.field === field,
    );
  });

test("terms within bounds pass, a rate of exactly 100 % included", () => {
  checkTerms({
    ...cpa({
      clawbackDays: 30,
      tiers: [
        { fromCount: 1, amountMinor: 5000 },
        { fromCount: 10, amountMinor: 6000 },
      ],
    }),
    revshare: { bps: 10_000 },
    holdDays: 0,
    parentOverrideBps: 500,
  } as Terms);
});
