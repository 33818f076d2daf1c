/**
 * WAL checkpoints off the event loop (sqlite/checkpointer.ts). What a checkpoint tick does between
 * commits is checked deterministically: the tests run the tick (checkpoint-tick.ts) on a connection
 * of their own at chosen moments, never depending on when the worker thread gets the CPU. The
 * worker itself is checked for what does not depend on timing: it ticks on its own, its reports
 * reach the stats, close leaves no WAL behind, and a failing worker is reported once so the
 * connection can return to SQLite's own checkpoints.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, test } from "node:test";
import { createCheckpointTick } from "../../../src/adapters/storage/sqlite/checkpoint-tick.ts";
import {
  createCheckpointTally,
  startCheckpointer,
} from "../../../src/adapters/storage/sqlite/checkpointer.ts";
import { openSqlite, type SqliteDriverHandle } from "../../../src/adapters/storage/sqlite/sqlite-driver.ts";
import { until } from "../../helpers/until.ts";

const ROW = "n".repeat(2000);
const fill = async (driver: SqliteDriverHandle, rows: number, from = 0) => {
  await driver.transaction(async (tx) => {
    for (let i = from; i < from + rows; i++) await tx.run("INSERT INTO t (x, note) VALUES (?, ?)", [i, ROW]);
  });
};
const count = async (driver: SqliteDriverHandle) =>
  (await driver.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"];

describe("a checkpoint tick between commits (what the worker runs every interval)", () => {
  let dir: string;
  let file: string;
  let writer: SqliteDriverHandle | undefined;
  let ticker: DatabaseSync | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postwire-tick-"));
    file = path.join(dir, "t.db");
  });
  afterEach(async () => {
    ticker?.close();
    ticker = undefined;
    await writer?.close().catch(() => undefined);
    writer = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The service's connection as the checkpointer leaves it (no checkpoints inside commits), and a
   * tick on a second connection, as the worker has, with a short busy timeout.
   */
  async function setUp(restartBytes = 32 * 1024 * 1024) {
    const driver = openSqlite(file);
    writer = driver;
    await driver.run("PRAGMA wal_autocheckpoint = 0");
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    ticker = new DatabaseSync(file, { timeout: 50 });
    const tally = createCheckpointTally();
    const tick = createCheckpointTick(ticker, restartBytes, tally.observe);
    return { driver, tick, stats: tally.stats };
  }
  const walBytes = () => statSync(`${file}-wal`).size;

  test("commits leave the WAL to the tick, which copies it all; the next commit writes it from its start", async () => {
    const { driver, tick, stats } = await setUp();
    // Well past SQLite's own 1000-page threshold, which would checkpoint inside one of these commits.
    for (let batch = 0; batch < 10; batch++) await fill(driver, 300, batch * 300);
    assert.ok(walBytes() > 1000 * 4096, `no checkpoint inside the commits (WAL ${walBytes()} bytes)`);
    tick();
    assert.equal(stats().checkpoints, 1);
    assert.equal(stats().lastError, null);
    assert.equal(await count(driver), 3000);
    // After a full checkpoint the next write restarts the WAL from its beginning: it stops growing.
    const size = walBytes();
    for (let batch = 0; batch < 5; batch++) {
      await fill(driver, 300, 3000 + batch * 300);
      tick();
    }
    assert.equal(walBytes(), size, "the WAL is reused, not grown");
    assert.equal(await count(driver), 4500);
  });

  test("under steady writes, ticks keep the WAL from growing with every commit", async () => {
    const { driver, tick, stats } = await setUp();
    // A commit every 2 ms or so, as a paced group commit under load, and a tick every 20 ms.
    let written = 0;
    let largest = 0;
    for (let commit = 0; commit < 250; commit++) {
      await fill(driver, 8, commit * 8);
      written += 8 * ROW.length;
      largest = Math.max(largest, walBytes());
      if (commit % 10 === 9) tick();
    }
    assert.ok(stats().checkpoints > 0);
    assert.equal(stats().lastError, null);
    // A WAL that never restarts holds every page of every commit: more than the rows themselves.
    assert.equal(written, 4_000_000);
    assert.ok(largest < written / 10, `the WAL reached ${largest} bytes for ${written} bytes of rows`);
  });

  test("a WAL past restartBytes is restarted at the next tick, once for each time it grows past", async () => {
    const restartBytes = 256 * 1024;
    const { driver, tick, stats } = await setUp(restartBytes);
    await fill(driver, 8);
    tick();
    assert.equal(stats().restarts, 0, "16 KB of rows: below restartBytes");
    await fill(driver, 200, 1000);
    tick();
    assert.equal(stats().restarts, 1, "400 KB of rows: restarted");
    tick();
    tick();
    assert.equal(stats().restarts, 1, "no restarts while nothing is written");
    await fill(driver, 8, 2000);
    tick();
    assert.equal(stats().restarts, 1, "the next commit wrote the WAL from its start: small again");
    await fill(driver, 200, 3000);
    tick();
    assert.equal(stats().restarts, 2);
    assert.equal(stats().restartsBusy, 0);
    assert.equal(stats().lastError, null);
    assert.equal(await count(driver), 416);
    assert.ok(walBytes() < 2 * restartBytes, `WAL ${walBytes()} bytes`);
  });

  test("a restart that cannot get the write lock is counted as busy and done at a later tick", async () => {
    const { driver, tick, stats } = await setUp(64 * 1024);
    // Another writer fills the WAL past restartBytes and takes the write lock again.
    const other = new DatabaseSync(file, { timeout: 5000 });
    try {
      other.exec("BEGIN IMMEDIATE");
      const insert = other.prepare("INSERT INTO t (x, note) VALUES (?, ?)");
      for (let i = 0; i < 100; i++) insert.run(i, ROW);
      other.exec("COMMIT");
      other.exec("BEGIN IMMEDIATE");
      tick();
      assert.deepEqual([stats().restarts, stats().restartsBusy], [0, 1]);
      assert.equal(stats().lastError, null, "busy is not an error");
      tick();
      assert.deepEqual([stats().restarts, stats().restartsBusy], [0, 2], "tried again while locked");
      other.exec("ROLLBACK");
      tick();
      assert.deepEqual([stats().restarts, stats().restartsBusy], [1, 2], "done once the lock is free");
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
    }
    assert.equal(await count(driver), 100);
  });
});

describe("sqlite background checkpoints (the worker)", () => {
  let dir: string;
  let file: string;
  let db: SqliteDriverHandle | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postwire-ckpt-"));
    file = path.join(dir, "t.db");
  });
  afterEach(async () => {
    await db?.close().catch(() => undefined);
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  test("commits do not checkpoint; the worker ticks on its own, its reports reach the stats", async () => {
    db = openSqlite(file, { checkpointIntervalMs: 20, walRestartBytes: 64 * 1024 });
    const driver = db;
    assert.equal((await driver.all("PRAGMA wal_autocheckpoint"))[0]?.["wal_autocheckpoint"], 0);
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    for (let batch = 0; batch < 10; batch++) await fill(driver, 300, batch * 300);
    await until(() => (driver.checkpointStats()?.checkpoints ?? 0) > 0, "a background checkpoint");
    await until(() => (driver.checkpointStats()?.restarts ?? 0) > 0, "a background restart");
    assert.equal(driver.checkpointStats()?.lastError, null);
    assert.equal(await count(driver), 3000);
  });

  test("close checkpoints what is left and removes the WAL; reopened, the data is all there", async () => {
    const first = openSqlite(file, { checkpointIntervalMs: 10_000 });
    await first.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    await fill(first, 500);
    await first.close();
    assert.equal(existsSync(`${file}-wal`), false);
    db = openSqlite(file);
    assert.equal((await db.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 500);
    assert.equal(db.checkpointStats(), undefined, "no worker unless asked for");
  });

  test("a worker that cannot open the database reports the failure once", async () => {
    const reasons: string[] = [];
    const checkpointer = startCheckpointer(path.join(dir, "missing", "nowhere.db"), {
      intervalMs: 10,
      restartBytes: 1 << 20,
      onFailure: (reason) => reasons.push(reason),
    });
    // Both the error and the exit have been handled once the worker has ended.
    await checkpointer.ended;
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /unable to open|exited/);
    await checkpointer.stop();
  });

  test("when the worker fails, the connection goes back to SQLite's own checkpoints", async () => {
    const reasons: string[] = [];
    db = openSqlite(file, {
      checkpointIntervalMs: 10,
      onCheckpointFailure: (reason) => reasons.push(reason),
    });
    // The worker opens the file once its thread has started: moved away now, it cannot.
    const moved = `${dir}-moved`;
    renameSync(dir, moved);
    const driver = db;
    try {
      await until(
        async () => (await driver.all("PRAGMA wal_autocheckpoint"))[0]?.["wal_autocheckpoint"] === 1000,
        "automatic checkpoints restored",
      );
    } finally {
      renameSync(moved, dir);
    }
    assert.equal(reasons.length, 1, "the failure is reported once, for the service's log");
    assert.match(reasons[0]!, /unable to open|exited/);
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    await fill(driver, 10);
    assert.equal((await driver.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 10);
    await driver.close();
    db = undefined;
  });

  test("in-memory databases get no worker", async () => {
    db = openSqlite(":memory:", { checkpointIntervalMs: 10 });
    assert.equal(db.checkpointStats(), undefined);
  });
});
