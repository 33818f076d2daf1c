/**
 * Recalculation under the plan now in force (src/domain/commissions/replan.ts): which decisions are
 * stale, and the compensation that replaces one, exactly (property-based).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decidedUnderOtherVersion,
  replacementLines,
  versionOf,
} from "../../src/domain/commissions/replan.ts";

const A = { planId: 1, dealId: null };
const B = { planId: 2, dealId: null };
const DEAL = { planId: 1, dealId: 7 };

describe("replan", () => {
  test("a decision is stale when its newest entries name another plan or deal than the one in force", () => {
    assert.equal(decidedUnderOtherVersion([{ createdAt: 1, version: A }], A), false);
    assert.equal(decidedUnderOtherVersion([{ createdAt: 1, version: A }], B), true);
    assert.equal(decidedUnderOtherVersion([{ createdAt: 1, version: A }], DEAL), true, "a deal since");
    assert.equal(decidedUnderOtherVersion([{ createdAt: 1, version: DEAL }], A), true, "a deal gone");
    // Decided again under B: the newest entries are B's, the older A's are history.
    assert.equal(
      decidedUnderOtherVersion(
        [
          { createdAt: 1, version: A },
          { createdAt: 5, version: B },
        ],
        B,
      ),
      false,
    );
    assert.equal(decidedUnderOtherVersion([], B), false, "nothing decided: the unearned mode's work");
    assert.equal(
      decidedUnderOtherVersion([{ createdAt: 1, version: undefined }], B),
      false,
      "no version named",
    );
  });

  test("the version an explanation names", () => {
    assert.deepEqual(versionOf({ plan_id: 3, deal_id: null }), { planId: 3, dealId: null });
    assert.deepEqual(versionOf({ plan_id: 3, deal_id: 9 }), { planId: 3, dealId: 9 });
    assert.deepEqual(versionOf({ plan_id: null }), { planId: null, dealId: null });
    assert.equal(versionOf({ rule: "cpa" }), undefined);
  });

  test("each entry's remainder is compensated exactly, and nothing is written for what is already zero", () => {
    const entry = fc.record({
      id: fc.uuid(),
      affiliateId: fc.integer({ min: 1, max: 5 }),
      component: fc.constantFrom("cpa", "revshare"),
      amountMinor: fc.integer({ min: -1_000_000, max: 1_000_000 }),
      windowDays: fc.constant(null),
      compensatedMinor: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
        const lines = replacementLines(entries, B);
        for (const e of entries) {
          const line = lines.find((l) => l.entryId === e.id);
          const remaining = e.amountMinor + e.compensatedMinor;
          if (remaining === 0) assert.equal(line, undefined);
          else {
            assert.equal(e.amountMinor + e.compensatedMinor + line!.amountMinor, 0);
            assert.equal(line!.affiliateId, e.affiliateId);
            assert.equal(line!.component, e.component);
          }
        }
        assert.equal(lines.length, entries.filter((e) => e.amountMinor + e.compensatedMinor !== 0).length);
      }),
    );
  });
});
