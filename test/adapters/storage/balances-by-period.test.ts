/**
 * The balances of several months from one read (the console's commissions page shows twelve and
 * the total): on both engines each month's answer equals the one-month read, an affiliate's scope
 * keeps to it, a month with nothing has an empty list, and the months come back in the order asked.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";

/** Running totals as ledger-writes.ts keeps them: affiliate, program, period, currency, status, amount. */
const TOTALS: ReadonlyArray<[number, number, string, string, string, number]> = [
  [1, 10, "2026-10", "EUR", "approved", 5000],
  [1, 11, "2026-10", "EUR", "approved", 700],
  [1, 10, "2026-10", "USD", "pending", 300],
  [1, 10, "2026-11", "EUR", "paid", 4000],
  [1, 10, "2026-11", "EUR", "reversed", -900],
  [2, 10, "2026-11", "EUR", "pending", 1200],
  [2, 10, "2026-12", "EUR", "approved", 50],
];

for (const engine of await availableEngines()) {
  describe(`balances by period (${engine})`, () => {
    let store: Store & { readonly url: string };
    let db: SqlDriver;
    before(async () => {
      store = await createTestStore(engine);
      db = openDriver(store.url);
      await db.insertMany(
        "ledger_balances",
        ["affiliate_id", "program_id", "period", "currency", "status", "amount_minor"],
        TOTALS,
      );
    });
    after(async () => {
      await db.close();
      await store.close();
    });

    const periods = ["2026-12", "2026-11", "2026-10", "2026-09"];

    for (const scope of [{}, { affiliateId: 1 }, { affiliateId: 2 }])
      test(`each month as its own read gives it (${JSON.stringify(scope)})`, async () => {
        const together = await store.commissions.balancesByPeriod({ ...scope, periods });
        assert.deepEqual(
          together.map((p) => p.period),
          periods,
        );
        for (const { period, balances } of together)
          assert.deepEqual(balances, await store.commissions.balances({ ...scope, period }), period);
      });

    test("the figures", async () => {
      const [dec, nov, oct, sep] = await store.commissions.balancesByPeriod({ affiliateId: 1, periods });
      assert.deepEqual(dec!.balances, []);
      assert.deepEqual(sep!.balances, []);
      assert.deepEqual(nov!.balances, [
        {
          affiliateId: 1,
          currency: "EUR",
          pendingMinor: 0,
          approvedMinor: 0,
          paidMinor: 4000,
          reversedMinor: -900,
        },
      ]);
      assert.deepEqual(oct!.balances, [
        {
          affiliateId: 1,
          currency: "EUR",
          pendingMinor: 0,
          approvedMinor: 5700,
          paidMinor: 0,
          reversedMinor: 0,
        },
        {
          affiliateId: 1,
          currency: "USD",
          pendingMinor: 300,
          approvedMinor: 0,
          paidMinor: 0,
          reversedMinor: 0,
        },
      ]);
      assert.deepEqual(await store.commissions.balancesByPeriod({ periods: [] }), []);
    });
  });
}
