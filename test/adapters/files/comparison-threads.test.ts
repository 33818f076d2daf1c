/**
 * Reconciliation comparisons in worker threads (comparison-threads.ts) on both engines: the rows
 * written through the worker's own connection; a worker out of its heap fails its run and leaves
 * the database writable; `stop()` ends a running comparison through its connection's close, not by
 * killing it, and refuses new ones.
 */
import assert from "node:assert/strict";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { finished } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import {
  type ComparisonThreads,
  createComparisonThreads,
} from "../../../src/adapters/files/comparison-threads.ts";
import type { Store } from "../../../src/app/ports.ts";
import { reconcileEvents } from "../../../src/app/reconcile/reconcile-events.ts";
import { StorageUnavailableError } from "../../../src/app/storage-errors.ts";
import { PostwireError } from "../../../src/domain/errors.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture } from "../../helpers/service.ts";
import { until } from "../../helpers/until.ts";

const principal = { role: "admin", keyId: 1, operatorId: null, affiliateId: null } as const;
const DAY = 86_400_000;
const HEADER = "event,txid,amount,currency,occurred_at\r\n";

for (const engine of await availableEngines()) {
  describe(`comparison threads (${engine})`, () => {
    let store: Store & { readonly url: string };
    let operatorId: number;
    let dir: string;
    before(async () => {
      store = await createTestStore(engine);
      operatorId = (await createFixture(store)).operator.id;
      dir = mkdtempSync(path.join(tmpdir(), "postwire-compare-"));
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const threads = (options: Partial<Parameters<typeof createComparisonThreads>[0]> = {}) =>
      createComparisonThreads({ databaseUrl: store.url, driver: {}, clock: systemClock, ...options });
    const reconcile = (comparisons: ComparisonThreads, file: string, maxBytes = 1 << 30) =>
      reconcileEvents({ store, clock: systemClock, ids: createIds() }, principal, {
        operatorId,
        from: Date.now() - DAY,
        to: Date.now() + DAY,
        format: "csv",
        compare: comparisons.comparer(file, "csv", maxBytes),
      });
    const at = () => new Date(Date.now() - 1000).toISOString();
    /** A file of `count` events never received. */
    const writeRows = async (file: string, count: number) => {
      const out = createWriteStream(file);
      out.write(HEADER);
      for (let n = 0; n < count; n++) out.write(`ftd,s${n},5.00,EUR,${at()}\r\n`);
      out.end();
      await finished(out);
    };

    test("the worker writes the run's rows through its own connection and answers the counts", async () => {
      const file = path.join(dir, "small.csv");
      writeFileSync(
        file,
        `${HEADER}ftd,w1,5.00,EUR,${at()}\r\nftd,w2,6.00,EUR,${at()}\r\nftd,w1,5.00,EUR,${at()}\r\n`,
      );
      const comparisons = threads();
      const run = await reconcile(comparisons, file);
      assert.equal(run.status, "done");
      assert.deepEqual([run.counts.missing, run.counts.duplicate], [2, 1]);
      const rows = await store.reconciliations.rows(run.id, { limit: 10 });
      assert.deepEqual(
        rows.map((r) => [r.seq, r.category, r.txid]),
        [
          [1, "missing", "w1"],
          [2, "missing", "w2"],
          [3, "duplicate", "w1"],
        ],
      );
      await comparisons.stop();
    });

    test("a worker out of its heap fails its run, keeps none of its rows, and the database takes writes", async () => {
      const file = path.join(dir, "any.csv");
      writeFileSync(file, `${HEADER}ftd,o1,5.00,EUR,${at()}\r\n`);
      // Too small a heap to even load the comparison's code.
      const comparisons = threads({ heapMb: { old: 8, young: 1 } });
      await assert.rejects(reconcile(comparisons, file), /memory/);
      const [run] = await store.reconciliations.list({ operatorId, limit: 1 });
      assert.equal(run?.status, "failed");
      assert.equal(run?.error, "internal error");
      assert.deepEqual(await store.reconciliations.rows(run.id, { limit: 1 }), []);
      await store.ping();
    });

    test("a file the worker refuses refuses its run with the catalogue's code; a worker's own error fails its run with the worker's stack", async () => {
      const file = path.join(dir, "refused.csv");
      writeFileSync(file, `${HEADER}ftd,r1,5.00,EUR,${at()}\r\n`);
      const comparisons = threads();
      const refused = await reconcile(comparisons, file, 10).then(
        () => assert.fail("compared a file past its limit"),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof PostwireError, String(refused));
      assert.equal(refused.code, "payload_too_large");
      assert.equal(refused.message, "The file is larger than 10 bytes.");
      const [run] = await store.reconciliations.list({ operatorId, limit: 1 });
      assert.deepEqual([run?.status, run?.error], ["refused", refused.message]);

      const failed = await reconcile(comparisons, path.join(dir, "no-such-file.csv")).then(
        () => assert.fail("compared a file that is not there"),
        (error: unknown) => error,
      );
      assert.ok(failed instanceof Error && !(failed instanceof PostwireError), String(failed));
      assert.match(failed.message, /ENOENT/);
      assert.match(failed.stack ?? "", /ENOENT/);
      assert.doesNotMatch(
        failed.stack ?? "",
        /comparison-threads\.ts/,
        "the worker's stack, not the parent's",
      );
      const [again] = await store.reconciliations.list({ operatorId, limit: 1 });
      assert.deepEqual([again?.status, again?.error], ["failed", "internal error"]);
      await comparisons.stop();
    });

    test("a worker whose database is out of reach refuses its run as the service's thread does (503, the reason kept)", {
      skip:
        engine === "sqlite"
          ? "PostgreSQL's: a SQLite file that cannot open fails the run (the heap test's path)"
          : false,
    }, async () => {
      const file = path.join(dir, "unreachable.csv");
      writeFileSync(file, `${HEADER}ftd,u1,5.00,EUR,${at()}\r\n`);
      const comparisons = threads({ databaseUrl: new URL("/postwire_no_such_db", store.url).href });
      const refused = await reconcile(comparisons, file).then(
        () => assert.fail("compared without a database"),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof StorageUnavailableError, String(refused));
      const [run] = await store.reconciliations.list({ operatorId, limit: 1 });
      assert.equal(run?.status, "refused");
      assert.equal(run?.error, refused.reason);
    });

    test("one comparison at a time: the second waits for the first's worker; stop() refuses one still waiting", async () => {
      const file = path.join(dir, "medium.csv");
      await writeRows(file, 50_000);
      const comparisons = threads();
      let most = 0;
      let settled = false;
      const both = Promise.all([reconcile(comparisons, file), reconcile(comparisons, file)]).finally(() => {
        settled = true;
      });
      while (!settled) {
        most = Math.max(most, comparisons.running());
        await delay(2);
      }
      assert.deepEqual(
        (await both).map((run) => [run.status, run.counts.missing]),
        [
          ["done", 50_000],
          ["done", 50_000],
        ],
      );
      assert.equal(most, 1);

      const stopped = threads({ stopGraceMs: 3_600_000 });
      // Either may reach its turn first: one runs (and is stopped), the other waits (and is refused).
      const outcomes = Promise.allSettled([reconcile(stopped, file), reconcile(stopped, file)]);
      await until(() => stopped.running() === 1, "the first worker");
      await stopped.stop();
      const reasons = (await outcomes).map((o) =>
        o.status === "rejected" ? String((o.reason as Error).message) : `resolved ${o.status}`,
      );
      assert.equal(
        reasons.filter((r) => /stopped/.test(r) && !/stopping/.test(r)).length,
        1,
        reasons.join(" | "),
      );
      assert.equal(reasons.filter((r) => /stopping/.test(r)).length, 1, reasons.join(" | "));
      assert.equal(stopped.running(), 0);
    });

    test("stop() terminates a worker that does not stop within its grace (stuck in a statement), and its run fails", {
      skip:
        engine === "sqlite"
          ? "PostgreSQL's: a lock another connection holds keeps the worker's insert waiting"
          : false,
    }, async () => {
      const file = path.join(dir, "stuck.csv");
      writeFileSync(file, `${HEADER}ftd,k1,5.00,EUR,${at()}\r\n`);
      // Reads go on; the worker's insert of its rows (and the run's clean-up) wait for the lock.
      const locker = new pg.Client({ connectionString: store.url });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query("LOCK TABLE reconciliation_rows IN SHARE MODE");
        const comparisons = threads({ stopGraceMs: 200 });
        const running = reconcile(comparisons, file).then(
          () => assert.fail("compared while its insert was locked out"),
          (error: unknown) => error,
        );
        await until(async () => {
          // Inside a transaction, pg_stat_activity is read once and cached unless cleared.
          await locker.query("SELECT pg_stat_clear_snapshot()");
          const waiting = await locker.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%insert%reconciliation_rows%'",
          );
          return waiting.rowCount ? true : undefined;
        }, "the worker's insert waiting for the lock");
        // Without terminate() it would wait for the lock, held until the test lets go of it.
        const ended = await Promise.race([
          comparisons.stop().then(() => "stopped"),
          delay(10_000, "waiting"),
        ]);
        assert.equal(ended, "stopped", "ended by terminate() after its grace");
        assert.equal(comparisons.running(), 0);
        await locker.query("COMMIT");
        const failed = await running;
        assert.match(String(failed), /exited with code/);
      } finally {
        await locker.end();
      }
      const [run] = await store.reconciliations.list({ operatorId, limit: 1 });
      assert.deepEqual([run?.status, run?.error], ["failed", "internal error"]);
      assert.deepEqual(await store.reconciliations.rows(run!.id, { limit: 1 }), []);
    });

    test("stop() ends a running comparison (its run failed, none of its rows) and refuses new ones", async () => {
      const file = path.join(dir, "large.csv");
      await writeRows(file, 300_000);
      // A grace longer than the test: only the worker stopping on its own can end it (not terminate()).
      const comparisons = threads({ stopGraceMs: 3_600_000 });
      const running = reconcile(comparisons, file);
      const run = await until(async () => {
        const [latest] = await store.reconciliations.list({ operatorId, limit: 1 });
        return latest?.status === "running" &&
          (await store.reconciliations.rows(latest.id, { limit: 1 })).length > 0
          ? latest
          : undefined;
      }, "the worker's first rows");
      await comparisons.stop();
      await assert.rejects(running, /stopped/);
      const stopped = await store.reconciliations.get(run.id);
      assert.equal(stopped?.status, "failed");
      assert.deepEqual(await store.reconciliations.rows(run.id, { limit: 1 }), []);
      await store.ping();
      await assert.rejects(reconcile(comparisons, file), /stopping/);
    });
  });
}
