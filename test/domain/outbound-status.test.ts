/** The outbound status vocabulary and an adjustment message's figures, table-driven. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  adjustmentFigures,
  adjustmentStatus,
  DEFAULT_FIRE_STATUSES,
  FIRE_STATUSES,
  type MoneyLine,
} from "../../src/domain/outbound-status.ts";

describe("outbound statuses", () => {
  test("a reject is `rejected`, an adjustment by amount `adjusted`", () => {
    assert.equal(adjustmentStatus("reject"), "rejected");
    assert.equal(adjustmentStatus("adjust"), "adjusted");
  });

  test("the default subscription is every status but `approved`, each a known status", () => {
    assert.deepEqual(DEFAULT_FIRE_STATUSES, ["created", "reversed", "rejected", "adjusted"]);
    for (const s of DEFAULT_FIRE_STATUSES) assert.ok(FIRE_STATUSES.includes(s));
  });
});

describe("adjustmentFigures", () => {
  const AFF = 1;
  const PARENT = 2;
  const cases: Array<{
    name: string;
    before: MoneyLine[];
    written: MoneyLine[];
    delta: number;
    total: number;
  }> = [
    {
      name: "goodwill credit on a CPA",
      before: [{ affiliateId: AFF, amountMinor: 10000, compensatedMinor: 0 }],
      written: [{ affiliateId: AFF, amountMinor: 2550 }],
      delta: 2550,
      total: 12550,
    },
    {
      name: "debit below zero",
      before: [{ affiliateId: AFF, amountMinor: 1000, compensatedMinor: 0 }],
      written: [{ affiliateId: AFF, amountMinor: -1500 }],
      delta: -1500,
      total: -500,
    },
    {
      name: "reject after a partial refund: what remained is taken back, total 0",
      before: [{ affiliateId: AFF, amountMinor: 10000, compensatedMinor: -2500 }],
      written: [{ affiliateId: AFF, amountMinor: -7500 }],
      delta: -7500,
      total: 0,
    },
    {
      name: "reject with a parent's override: only the affiliate's own money",
      before: [
        { affiliateId: AFF, amountMinor: 10000, compensatedMinor: 0 },
        { affiliateId: PARENT, amountMinor: 1000, compensatedMinor: 0 },
      ],
      written: [
        { affiliateId: AFF, amountMinor: -10000 },
        { affiliateId: PARENT, amountMinor: -1000 },
      ],
      delta: -10000,
      total: 0,
    },
    {
      name: "reject including an earlier manual credit",
      before: [
        { affiliateId: AFF, amountMinor: 10000, compensatedMinor: 0 },
        { affiliateId: AFF, amountMinor: 2550, compensatedMinor: 0 },
      ],
      written: [
        { affiliateId: AFF, amountMinor: -10000 },
        { affiliateId: AFF, amountMinor: -2550 },
      ],
      delta: -12550,
      total: 0,
    },
    {
      name: "adjustment of a conversion that earned nothing",
      before: [],
      written: [{ affiliateId: AFF, amountMinor: 500 }],
      delta: 500,
      total: 500,
    },
    {
      name: "only the parent had lines left",
      before: [
        { affiliateId: AFF, amountMinor: 10000, compensatedMinor: -10000 },
        { affiliateId: PARENT, amountMinor: 1000, compensatedMinor: 0 },
      ],
      written: [{ affiliateId: PARENT, amountMinor: -1000 }],
      delta: 0,
      total: 0,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(adjustmentFigures(c.before, c.written, AFF), {
        deltaMinor: c.delta,
        totalMinor: c.total,
      });
    });
  }
});
