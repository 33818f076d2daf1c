/**
 * The ledger list reads through the index its filter fits, and answers the same rows in id order
 * whatever the filter: a month or a status is a range of one value named first in the order, so
 * PostgreSQL seeks that index instead of walking the primary key (commissions-store.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { entriesQuery } from "../../../src/adapters/storage/commissions-reads.ts";
import { dialectOf } from "../../../src/adapters/storage/dialects.ts";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { LedgerFilter } from "../../../src/app/commissions/commission-store-port.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { insertRawEntries } from "../../helpers/ledger-rows.ts";

test("each filter is read in the order of the index that serves it", () => {
  const cases: Array<[LedgerFilter, string, RegExp]> = [
    [{}, '"id"', /^select \* from "ledger_entries" order/],
    [{ affiliateId: 1 }, '"affiliate_id", "id"', /"affiliate_id" = \?/],
    [
      { affiliateId: 1, period: "2026-11" },
      '"affiliate_id", "period", "id"',
      /"period" >= \? and "period" <= \?/,
    ],
    [{ programId: 2 }, '"program_id", "id"', /"program_id" = \?/],
    [
      { programId: 2, period: "2026-11" },
      '"program_id", "period", "id"',
      /"period" >= \? and "period" <= \?/,
    ],
    [{ period: "2026-11" }, '"period", "id"', /"period" >= \? and "period" <= \?/],
    [{ status: "approved" }, '"status", "id"', /"status" >= \? and "status" <= \?/],
    [{ period: "2026-11", status: "approved" }, '"period", "id"', /"status" = \?/],
    [{ conversionId: "cv1", period: "2026-11" }, '"id"', /"period" = \?/],
  ];
  // SQLite's text (`?` placeholders); PostgreSQL's differs only in its placeholders.
  const { builder } = dialectOf("sqlite");
  for (const [filter, order, condition] of cases) {
    const { sql, parameters } = entriesQuery(builder, { ...filter, limit: 10 }).compile();
    assert.ok(sql.endsWith(`order by ${order} limit ?`), `${JSON.stringify(filter)}: ${sql}`);
    assert.match(sql, condition);
    assert.equal(parameters.length, sql.split("?").length - 1, "a value for every placeholder");
  }
});

for (const engine of await availableEngines()) {
  describe(`ledger list (${engine})`, () => {
    let store: Awaited<ReturnType<typeof createTestStore>>;
    before(async () => {
      store = await createTestStore(engine);
      const db = openDriver(store.url);
      const at = Date.now();
      // Ids in time order; the newest month and the pending ones at the end, as in a live ledger.
      await insertRawEntries(
        db,
        Array.from({ length: 60 }, (_, i) => ({
          id: `le-${String(i).padStart(3, "0")}`,
          conversionId: `cv-${i}`,
          operatorId: 1,
          programId: 1 + (i % 2),
          affiliateId: 1 + (i % 3),
          status: i < 40 ? "approved" : "pending",
          amountMinor: 100,
          period: i < 30 ? "2026-10" : "2026-11",
          at,
          approveAt: at,
        })),
      );
      await db.close();
    });
    after(() => store.close());

    test("the rows of each filter, in id order, paged by `after`", async () => {
      const ids = async (f: LedgerFilter) =>
        (await store.commissions.listEntries(f)).map((e) => Number(e.id.slice(3)));
      const range = (from: number, to: number, keep: (i: number) => boolean = () => true) =>
        Array.from({ length: to - from }, (_, k) => from + k).filter(keep);
      assert.deepEqual(await ids({ period: "2026-11", limit: 100 }), range(30, 60));
      assert.deepEqual(await ids({ status: "pending", limit: 100 }), range(40, 60));
      assert.deepEqual(
        await ids({ affiliateId: 2, period: "2026-11", limit: 100 }),
        range(30, 60, (i) => i % 3 === 1),
      );
      assert.deepEqual(
        await ids({ programId: 1, status: "approved", limit: 100 }),
        range(0, 40, (i) => i % 2 === 0),
      );
      assert.deepEqual(await ids({ period: "2026-11", after: "le-044", limit: 5 }), range(45, 50));
    });
  });
}
