/**
 * Report activity is appended by clicks and postbacks (023_report_activity_delta.sql) and folded
 * into report_activity by a background job (stats-store.ts foldActivity). On both engines: a fold
 * moves every appended row once and changes no report; a write still open when a fold runs is
 * left for the next one, not lost; a rebuild counts the unfolded rows once. On PostgreSQL, two
 * processes folding while clicks keep arriving neither deadlock nor count a row twice, and the
 * deltas' table is vacuumed as it goes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { ROLLUP_RECOUNT, rebuildRollups } from "../../../src/adapters/storage/rollups.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../../src/app/ports.ts";
import type { ReportQuery } from "../../../src/app/stats/stats-port.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { clickRow, conversionRow, requestLogRow } from "../../helpers/records.ts";
import { lines, STORED_ROLLUPS } from "../../helpers/rollup-sums.ts";
import { gate } from "../../helpers/until.ts";

const DAY = 86_400_000;
const START = 1_760_000_000_000 - (1_760_000_000_000 % DAY);
const REPORT: ReportQuery = {
  from: START,
  to: START + 2 * DAY,
  periods: [
    { start: START, end: START + DAY, label: "d1" },
    { start: START + DAY, end: START + 2 * DAY, label: "d2" },
  ],
};

/** A conversion with its logged request, at `at`. */
function records(at: number, overrides: Parameters<typeof conversionRow>[0] = {}) {
  const conversion = conversionRow({ occurredAt: at, receivedAt: at, ...overrides });
  return {
    conversions: [conversion],
    players: [],
    logs: [requestLogRow({ receivedAt: at, conversionId: conversion.id, txid: conversion.txid })],
  };
}

/** The report as a sorted list of lines (rows come in no set order). */
async function report(store: Store): Promise<string[]> {
  return (await store.stats.reportActivity(REPORT))
    .map(
      (r) =>
        `${r.period} ${r.affiliateId} ${r.programId} ${r.event} ${r.currency} ${r.count} ${r.amountMinor}`,
    )
    .sort();
}

async function count(db: SqlDriver, table: string): Promise<number> {
  const [row] = await db.all(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row!["n"]);
}

for (const engine of await availableEngines()) {
  describe(`report activity fold (${engine})`, () => {
    let store: Store & { readonly url: string };
    let db: SqlDriver;
    before(async () => {
      store = await createTestStore(engine);
      db = openDriver(store.url);
    });
    after(async () => {
      await db.close();
      await store.close();
    });

    const recounted = async () => lines(await db.all(ROLLUP_RECOUNT.activity));
    const stored = async () => lines(await db.all(STORED_ROLLUPS.activity));

    test("a fold moves every appended row once, summed per key, and changes no report", async () => {
      for (let i = 0; i < 6; i++) {
        await store.insertClicks([
          clickRow({ createdAt: START + i * 3_600_000 }),
          clickRow({ createdAt: START }),
        ]);
        await store.ingest((tx) => tx.insertRecords(records(START + DAY + i, { amountMinor: 1000 + i })));
      }
      await store.ingest((tx) =>
        tx.insertRecords(records(START, { event: "deposit", currency: "USD", affiliateId: 21 })),
      );
      const appended = await count(db, "report_activity_delta");
      // Per batch, one row per key: 1 + 5 × 2 for the clicks, 6 + 1 for the conversions.
      assert.equal(appended, 18, "one appended row per key per batch");
      const before = await report(store);
      assert.ok(before.includes("d1 20 10 click null 12 0"), before.join("\n"));
      assert.ok(before.includes(`d2 20 10 ftd EUR 6 ${6 * 1000 + 15}`), before.join("\n"));
      assert.deepEqual(await stored(), await recounted());

      assert.equal(await store.stats.foldActivity(), appended);
      assert.equal(await count(db, "report_activity_delta"), 0);
      assert.deepEqual(await report(store), before, "the report is the same after the fold");
      assert.deepEqual(await stored(), await recounted());
      // One row per key in the rollup: the first key's click rows were summed.
      const [click] = await db.all(
        "SELECT count FROM report_activity WHERE event = 'click' AND bucket_at = ? AND slot = 0",
        [START],
      );
      assert.equal(Number(click!["count"]), 7);

      // More appended after a fold: added to the folded rows, not written beside them.
      await store.insertClicks([clickRow({ createdAt: START })]);
      assert.equal(await store.stats.foldActivity(), 1);
      assert.equal(await store.stats.foldActivity(), 0, "nothing left to fold");
      const [again] = await db.all(
        "SELECT COUNT(*) AS n, SUM(count) AS total FROM report_activity WHERE event = 'click' AND bucket_at = ?",
        [START],
      );
      assert.deepEqual([Number(again!["n"]), Number(again!["total"])], [1, 8]);
      assert.deepEqual(await stored(), await recounted());
    });

    test("a write still open during a fold is folded by the next one, not lost", async () => {
      const wrote = gate();
      const release = gate();
      const open = store.ingest(async (tx) => {
        await tx.insertRecords(records(START + 5));
        wrote.open();
        await release.opened;
      });
      await wrote.opened;
      if (engine === "postgres") {
        // The open batch's appended row is not committed: this fold leaves it.
        await store.stats.foldActivity();
        release.open();
        await open;
        assert.equal(
          await count(db, "report_activity_delta"),
          1,
          "the open batch's row waits for the next fold",
        );
      } else {
        // One writer: the fold waits for the open batch, then takes its row.
        const folding = store.stats.foldActivity();
        release.open();
        await open;
        await folding;
      }
      await store.stats.foldActivity();
      assert.equal(await count(db, "report_activity_delta"), 0);
      assert.deepEqual(await stored(), await recounted());
    });

    test("a rebuild counts the unfolded rows once", async () => {
      await store.insertClicks([clickRow({ createdAt: START + 60_000 })]);
      assert.ok((await count(db, "report_activity_delta")) > 0);
      await rebuildRollups(db);
      assert.equal(await count(db, "report_activity_delta"), 0);
      assert.deepEqual(await stored(), await recounted());
    });

    if (engine === "postgres")
      test("the deltas' table is vacuumed every 60 folds (its space is reused only then)", async () => {
        const vacuums = async () => {
          const [row] = await db.all(
            "SELECT pg_stat_get_vacuum_count('report_activity_delta'::regclass) AS n",
          );
          return Number(row!["n"]);
        };
        const before = await vacuums();
        // A fresh store: its count of folds starts at 0.
        const folder = openStore(store.url);
        try {
          for (let i = 0; i < 59; i++) await folder.stats.foldActivity();
          assert.equal(await vacuums(), before);
          await store.insertClicks([clickRow({ createdAt: START })]);
          assert.equal(await folder.stats.foldActivity(), 1);
          assert.equal(await vacuums(), before + 1);
          assert.deepEqual(await stored(), await recounted());
        } finally {
          await folder.close();
        }
      });

    if (engine === "postgres")
      test("two processes folding while clicks arrive: no deadlock, every click counted once", async () => {
        const other = openStore(store.url);
        try {
          let writing = true;
          const writes = (async () => {
            for (let i = 0; i < 60; i++)
              await store.insertClicks(
                Array.from({ length: 5 }, (_, j) =>
                  clickRow({ createdAt: START + ((i * 5 + j) % 8) * 900_000 }),
                ),
              );
            writing = false;
          })();
          const fold = async (folder: Store) => {
            let moved = 0;
            while (writing) moved += await folder.stats.foldActivity();
            return moved;
          };
          const [, mine, theirs] = await Promise.all([writes, fold(store), fold(other)]);
          const moved = mine + theirs;
          await store.stats.foldActivity();
          assert.ok(moved > 0, "the folds ran while clicks arrived");
          assert.equal(await count(db, "report_activity_delta"), 0);
          assert.deepEqual(await stored(), await recounted());
        } finally {
          await other.close();
        }
      });
  });
}
