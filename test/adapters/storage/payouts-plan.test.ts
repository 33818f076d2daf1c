/**
 * The payout listing on both engines reads the `payouts_created` index in its own order, for the
 * first page and for a page after a cursor, instead of sorting the whole table: the query plans
 * of the statements `payoutsQuery` builds. (Paging results are checked over HTTP in
 * test/adapters/http/commissions-payouts-pages.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type PayoutsAt, payoutsQuery } from "../../../src/adapters/storage/commissions-reads.ts";
import { dialectOf } from "../../../src/adapters/storage/dialects.ts";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver, SqlValue } from "../../../src/adapters/storage/sql-driver.ts";
import { availableEngines, createTestDatabase } from "../../helpers/engines.ts";

const listings: ReadonlyArray<[string, PayoutsAt]> = [
  ["first page", { limit: 50 }],
  ["after a cursor", { limit: 50, before: { createdAt: 1_700_000_000_000, id: "po_01" } }],
];

/** The plan's lines, as each engine prints them. */
async function plan(db: SqlDriver, sql: string, params: readonly SqlValue[]): Promise<string[]> {
  if (db.engine === "sqlite") {
    const rows = await db.all(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows.map((r) => String(r["detail"]));
  }
  // An empty table is cheaper to scan than to read through an index: ask for the index plan.
  return db.transaction(async (tx) => {
    await tx.run("SET LOCAL enable_seqscan = off");
    const rows = await tx.all(`EXPLAIN ${sql}`, params);
    return rows.map((r) => String(r["QUERY PLAN"]));
  });
}

for (const engine of await availableEngines()) {
  describe(`payout listing plan (${engine})`, () => {
    for (const [name, at] of listings) {
      test(`${name}: read through payouts_created, no sort`, async () => {
        const database = await createTestDatabase(engine);
        const db = openDriver(database.url);
        try {
          await db.migrate();
          const { sql, parameters } = payoutsQuery(dialectOf(engine).builder, {}, at).compile();
          const lines = await plan(db, sql, parameters as SqlValue[]);
          const text = lines.join("\n");
          assert.match(text, /payouts_created/, text);
          assert.doesNotMatch(text, engine === "sqlite" ? /TEMP B-TREE/ : /\bSort\b/, text);
          if (at.before && engine === "postgres") assert.match(text, /Index Cond/, text);
        } finally {
          await db.close();
          await database.drop();
        }
      });
    }
  });
}
