/**
 * Reports read their sums from the rollup indexes alone (019_rollup_slots.sql): a year by week at
 * 10 M clicks reads some 46 000 buckets, and a table fetch per bucket after its index entry was
 * most of its time. Every scope of a report (all, an affiliate, an operator's programs, both) on
 * SQLite reads a covering index or the WITHOUT ROWID primary key (the table itself); on
 * PostgreSQL, with past buckets all-visible (vacuumed, as autovacuum keeps them), an index-only
 * scan.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { reportParams, STATS_SQL } from "../../../src/adapters/storage/stats-store.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { clickRow, conversionRow, requestLogRow } from "../../helpers/records.ts";

const DAY = 86_400_000;
const START = 1_760_000_000_000 - (1_760_000_000_000 % DAY);
const periods = [
  { start: START, end: START + 7 * DAY, label: "w1" },
  { start: START + 7 * DAY, end: START + 14 * DAY, label: "w2" },
];
const SCOPES = [
  { name: "all", query: {} },
  { name: "an affiliate", query: { affiliateId: 20 } },
  { name: "an operator's programs", query: { programIds: [10] } },
  { name: "an affiliate in programs", query: { affiliateId: 20, programIds: [10] } },
];

for (const engine of await availableEngines()) {
  describe(`report reads are covered by an index (${engine})`, () => {
    let store: Store & { readonly url: string };
    let db: SqlDriver;
    before(async () => {
      store = await createTestStore(engine);
      db = openDriver(store.url);
      // A few days of buckets, for a plan to be chosen on something.
      for (let day = 0; day < 14; day++) {
        const at = START + day * DAY + 3_600_000;
        const conversion = conversionRow({ occurredAt: at, receivedAt: at });
        await store.ingest((tx) =>
          tx.insertRecords({
            conversions: [conversion],
            players: [],
            logs: [requestLogRow({ receivedAt: at, conversionId: conversion.id })],
          }),
        );
        await store.insertClicks([clickRow({ createdAt: at })]);
        await db.run(
          "INSERT INTO report_commissions (affiliate_id, program_id, bucket_at, currency, status, amount_minor) VALUES (20, 10, ?, 'EUR', 'pending', 500)",
          [at],
        );
      }
      if (engine === "postgres") await db.run("VACUUM ANALYZE report_activity, report_commissions");
    });
    after(async () => {
      await db.close();
      await store.close();
    });

    for (const table of ["report_activity", "report_commissions"] as const)
      for (const scope of SCOPES)
        test(`${table}, ${scope.name}`, async () => {
          const query = { periods, from: START, to: START + 14 * DAY, ...scope.query };
          const sql = STATS_SQL.report(table, query);
          const params = reportParams(table, query);
          if (engine === "sqlite") {
            const plan = (await db.all(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => String(r["detail"]));
            const read = plan.filter((step) => /^(SEARCH|SCAN) r\b/.test(step));
            assert.ok(read.length > 0, plan.join("\n"));
            for (const step of read)
              assert.match(step, /USING (COVERING INDEX|PRIMARY KEY)/, `${step}\n${plan.join("\n")}`);
          } else {
            const plan = await db.transaction(async (tx) => {
              // The tables are tiny: as at size, an index range is what a report must read.
              await tx.run("SET LOCAL enable_seqscan = off");
              await tx.run("SET LOCAL enable_bitmapscan = off");
              return (await tx.all(`EXPLAIN ${sql}`, params)).map((r) => String(r["QUERY PLAN"]));
            });
            const read = plan.filter((step) => step.includes(` on ${table} `));
            assert.ok(read.length > 0, plan.join("\n"));
            for (const step of read) assert.match(step, /Index Only Scan/, plan.join("\n"));
          }
        });
  });
}
