/**
 * A reconciliation run that ends without a result keeps none of its rows, even those of a chunk
 * its comparison worker was still committing (a worker terminated after its stop grace may have
 * a COMMIT in flight): abandon() waits for that chunk and removes its rows, and a chunk written
 * after it stores nothing (RunEndedError). Before, the rows were deleted first and the run marked
 * after: a chunk committed between the two stayed, attached to a failed run.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../../src/app/ports.ts";
import { emptyCounts } from "../../../src/app/reconcile/compare-file.ts";
import {
  type ReconciliationRun,
  type ResultRow,
  RunEndedError,
} from "../../../src/app/reconcile/reconciliation-port.ts";
import { availableEngines, createTestStore, driverWith } from "../../helpers/engines.ts";
import { uniqueId } from "../../helpers/records.ts";
import { createFixture } from "../../helpers/service.ts";
import { gate, settled, until } from "../../helpers/until.ts";

const ENDED = {
  status: "failed",
  error: "internal error",
  counts: emptyCounts(),
  summary: [],
  fileSha256: "",
  fileBytes: 0,
  finishedAt: 1_760_000_100_000,
} as const;

const rowsOf = (count: number): ResultRow[] =>
  Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    category: "missing",
    line: i + 2,
    txid: `tx-${i}`,
    event: "ftd",
    occurredAt: 1_760_000_000_000,
    fields: null,
    differences: null,
    error: null,
    conversionId: null,
    backfillCode: null,
  }));

/** `driver` whose transactions, once their work is done, wait for `hold` before they commit. */
function holdingCommits(
  driver: SqlDriver,
  hold: { reached(): void; released: () => Promise<void> },
): SqlDriver {
  return driverWith(driver, {
    transaction: (work, options) =>
      driver.transaction(async (tx) => {
        const result = await work(tx);
        hold.reached();
        await hold.released();
        return result;
      }, options),
  });
}

for (const engine of await availableEngines()) {
  describe(`reconciliation runs abandoned (${engine})`, () => {
    let store: Store & { readonly url: string };
    let db: SqlDriver;
    let operatorId: number;
    before(async () => {
      store = await createTestStore(engine);
      db = openDriver(store.url);
      operatorId = (await createFixture(store)).operator.id;
    });
    after(async () => {
      await db.close();
      await store.close();
    });

    const newRun = async (): Promise<ReconciliationRun> => {
      const run: ReconciliationRun = {
        id: uniqueId("rc"),
        operatorId,
        from: 1_759_000_000_000,
        to: 1_761_000_000_000,
        format: "csv",
        fileSha256: "",
        fileBytes: 0,
        status: "running",
        error: null,
        counts: emptyCounts(),
        summary: [],
        createdByKeyId: null,
        createdAt: 1_760_000_000_000,
        finishedAt: null,
      };
      await store.reconciliations.create(run);
      return run;
    };
    const stored = async (runId: string) => (await store.reconciliations.rows(runId, { limit: 100 })).length;

    test("abandoned: its rows are gone, and a later chunk stores nothing", async () => {
      const run = await newRun();
      await store.reconciliations.insertRows(run.id, rowsOf(5));
      assert.equal(await stored(run.id), 5);
      await store.reconciliations.abandon(run.id, ENDED);
      assert.equal(await stored(run.id), 0);
      assert.equal((await store.reconciliations.get(run.id))?.status, "failed");
      await assert.rejects(store.reconciliations.insertRows(run.id, rowsOf(3)), RunEndedError);
      assert.equal(await stored(run.id), 0);
    });

    // PostgreSQL only: on SQLite one writer at a time orders the two anyway (the worker's chunk
    // commits in its own thread before abandon gets the lock, or finds the run ended), and a held
    // transaction on this thread would block the abandon's own lock wait.
    if (engine === "postgres")
      test("a chunk still committing when the run is abandoned: waited for, and its rows removed", async () => {
        const run = await newRun();
        const reached = gate();
        const release = gate();
        const worker = openStore(store.url, {
          wrapDriver: (driver) =>
            holdingCommits(driver, { reached: reached.open, released: () => release.opened }),
        });
        try {
          const chunk = worker.reconciliations.insertRows(run.id, rowsOf(4));
          await reached.opened;
          // The chunk's rows are written, not committed: the worker's thread is gone at this point.
          const abandoning = store.reconciliations.abandon(run.id, ENDED);
          const seen = await until(async () => {
            if (await settled(abandoning)) return "finished";
            const [row] = await db.all(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            );
            return Number(row!["n"]) > 0 ? "waiting" : false;
          }, "abandon to wait for the chunk's COMMIT");
          assert.equal(seen, "waiting", "abandon went ahead of the chunk in flight");
          release.open();
          await chunk;
          await abandoning;
          assert.equal(await stored(run.id), 0, "the chunk committed in flight was removed with the run");
          assert.equal((await store.reconciliations.get(run.id))?.status, "failed");
        } finally {
          release.open();
          await worker.close();
        }
      });
  });
}
