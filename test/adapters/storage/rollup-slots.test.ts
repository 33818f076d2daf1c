/**
 * Rollup slots (019_rollup_slots.sql, rollup-writes.ts RollupSlots): two ingest batches that
 * overlap add to the same hot key (one operator, program, hour and 15-minute bucket) in their own
 * slots. On PostgreSQL the second batch's insert goes through while the first is still open —
 * with one row per key it waited on the first's row lock until that COMMIT — and on both engines
 * the rollups summed over their slots still equal a recount of the raw rows. (Report activity is
 * appended rather than added to a slot: report-activity-fold.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { ROLLUP_RECOUNT } from "../../../src/adapters/storage/rollups.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { conversionRow, requestLogRow } from "../../helpers/records.ts";
import { lines, STORED_ROLLUPS } from "../../helpers/rollup-sums.ts";
import { gate, settled, until } from "../../helpers/until.ts";

/** One accepted conversion and its request-log row: the same rollup keys every time. */
function records() {
  const conversion = conversionRow();
  const log = requestLogRow({ conversionId: conversion.id, txid: conversion.txid });
  return { conversions: [conversion], players: [], logs: [log] };
}

for (const engine of await availableEngines()) {
  describe(`rollup slots (${engine})`, () => {
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

    test("overlapping batches add to their own slots of a hot key; the sums equal the recount", async () => {
      const wrote = gate();
      const release = gate();
      const first = store.ingest(async (tx) => {
        await tx.insertRecords(records());
        wrote.open();
        await release.opened;
      });
      await wrote.opened;
      const second = store.ingest((tx) => tx.insertRecords(records()));
      if (engine === "postgres") {
        // The first batch holds its transaction (and its row locks) open: the second must finish
        // all the same, never seen waiting on a lock.
        const seen = await until(async () => {
          if (await settled(second)) return "finished";
          const [row] = await db.all(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return Number(row!["n"]) > 0 ? "waited on a lock" : false;
        }, "the second batch to finish or wait");
        release.open();
        assert.equal(seen, "finished", "the second batch did not wait for the first one's COMMIT");
      } else {
        // One writer at a time: the second batch waits for the first, as without slots.
        release.open();
      }
      await Promise.all([first, second]);

      const slots = await db.all("SELECT slot, count FROM postback_rollup ORDER BY slot");
      assert.deepEqual(
        slots.map((r) => [Number(r["slot"]), Number(r["count"])]),
        [
          [0, 1],
          [1, 1],
        ],
        "one row per slot of the same key",
      );
      // Report activity is appended (023_report_activity_delta.sql): a row per batch, nothing updated.
      const [appended] = await db.all("SELECT COUNT(*) AS n, SUM(count) AS total FROM report_activity_delta");
      assert.deepEqual([Number(appended!["n"]), Number(appended!["total"])], [2, 2]);
      const [folded] = await db.all("SELECT COUNT(*) AS n FROM report_activity");
      assert.equal(Number(folded!["n"]), 0);
      // The slot is given back: a later batch alone writes in slot 0 again.
      await store.ingest((tx) => tx.insertRecords(records()));
      const [slot0] = await db.all("SELECT count FROM postback_rollup WHERE slot = 0");
      assert.equal(Number(slot0!["count"]), 2);

      assert.deepEqual(
        lines(await db.all(STORED_ROLLUPS.postbacks)),
        lines(await db.all(ROLLUP_RECOUNT.postbacks)),
      );
      assert.deepEqual(
        lines(await db.all(STORED_ROLLUPS.activity)),
        lines(await db.all(ROLLUP_RECOUNT.activity)),
      );
      const [sum] = await db.all("SELECT SUM(count) AS n FROM postback_rollup");
      assert.equal(Number(sum!["n"]), 3);
    });
  });
}
