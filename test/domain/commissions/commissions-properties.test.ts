/**
 * Properties of the pure rules over generated event sequences: the revshare floor
 * (`negativeCarryOver`), manual rejects, and qualification replays.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { adjustLine, rejectLines } from "../../../src/domain/commissions/adjust.ts";
import { type EarnInput, earn, floorOf } from "../../../src/domain/commissions/earn.ts";
import { compensate } from "../../../src/domain/commissions/reverse.ts";
import type { Terms } from "../../../src/domain/commissions/terms.ts";

const T0 = Date.UTC(2025, 0, 10);
const input = (
  terms: Terms,
  event: string,
  amountMinor: number,
  rest: Partial<EarnInput> = {},
): EarnInput => ({
  conversion: {
    event,
    amountMinor,
    currency: "EUR",
    lotsMilli: null,
    occurredAt: T0,
    extra: {},
    clickAt: T0,
  },
  terms,
  programCurrency: "EUR",
  lookbackDays: 30,
  fx: undefined,
  player: null,
  usage: { qualified: 0, paidCpa: 0, paidMinor: 0, revshareMinor: 0 },
  ...rest,
});

test("property: negativeCarryOver false keeps every prefix of a month at max(0, net); true writes no floor", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -1e7, max: 1e7 }), { maxLength: 30 }),
      fc.boolean(),
      (revenues, carry) => {
        const terms: Terms = { revshare: { bps: 2500, negativeCarryOver: carry } };
        let earned = 0;
        let written = 0;
        for (const amount of revenues) {
          const lines = earn(
            input(terms, "revenue", amount, {
              usage: { qualified: 0, paidCpa: 0, paidMinor: 0, revshareMinor: earned },
            }),
          ).lines;
          const revshare = lines.filter((l) => l.kind === undefined);
          const floors = lines.filter((l) => l.kind === "floor");
          if (carry) assert.equal(floors.length, 0);
          earned += revshare.reduce((s, l) => s + l.amountMinor, 0);
          written += lines.reduce((s, l) => s + l.amountMinor, 0);
          assert.equal(written, carry ? earned : Math.max(0, earned));
        }
      },
    ),
  );
  assert.deepEqual([floorOf(0, -1001), floorOf(-1001, 2000), floorOf(500, -200)], [1001, -1001, 0]);
});

const entry = fc.record({
  id: fc.uuid(),
  affiliateId: fc.nat(5),
  component: fc.constantFrom("cpa", "revshare", "percentOfSale"),
  amountMinor: fc.integer({ min: -1e9, max: 1e9 }),
});

test("property: a reject nets every entry to 0; a later reversal never gives money back", () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 6 }), fc.integer({ min: 1, max: 1e6 }), (entries, original) => {
      const partly = entries.map((e) => ({ ...e, compensatedMinor: -Math.trunc(e.amountMinor / 3) }));
      const lines = rejectLines(partly, "fraud");
      for (const e of partly) {
        const line = lines.find((l) => l.entryId === e.id);
        assert.equal(e.amountMinor + e.compensatedMinor + (line?.amountMinor ?? 0), 0);
      }
      const after = partly.map((e) => ({ ...e, windowDays: null, compensatedMinor: -e.amountMinor }));
      const refund = compensate(after, {
        originalAmountMinor: original,
        originalAt: T0,
        reversedBeforeMinor: 0,
        reversedNowMinor: Math.ceil(original / 2),
        reversalAt: T0,
      });
      assert.deepEqual(refund, []);
      assert.equal(rejectLines(after, "fraud").length, 0, "a second reject has nothing left");
    }),
  );
  assert.match(adjustLine(3, -250, "goodwill").text, /debited 250/);
});

test("property: replaying qualifying events of a qualified player never pays a second CPA", () => {
  const terms: Terms = {
    cpa: { amountMinor: 10000, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
  };
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 100000 }), { minLength: 1, maxLength: 20 }),
      (deposits) => {
        let qualified = false;
        let cpas = 0;
        for (const amount of deposits) {
          const player = qualified ? null : { events: [], registeredAt: T0 };
          const result = earn(input(terms, "ftd", amount, { player }));
          qualified ||= result.qualified;
          cpas += result.lines.filter((l) => l.component === "cpa").length;
        }
        assert.equal(cpas, deposits.some((d) => d >= 2000) ? 1 : 0);
      },
    ),
  );
});
