/**
 * WAL checkpoints in a worker thread (sqlite/checkpointer.ts): commits no longer checkpoint, the
 * worker does, the data stays whole, close leaves no WAL behind, and a failing worker is reported
 * so the connection can return to SQLite's own checkpoints.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, test } from "node:test";
import { startCheckpointer } from "../../../src/adapters/storage/sqlite/checkpointer.ts";
import { openSqlite, type SqliteDriverHandle } from "../../../src/adapters/storage/sqlite/sqlite-driver.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

describe("sqlite background checkpoints", () => {
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

  const fill = async (driver: SqliteDriverHandle, rows: number, from = 0) => {
    await driver.transaction(async (tx) => {
      for (let i = from; i < from + rows; i++)
        await tx.run("INSERT INTO t (x, note) VALUES (?, ?)", [i, "n".repeat(2000)]);
    });
  };

  test("commits do not checkpoint; the worker does, and every row stays readable", async () => {
    db = openSqlite(file, { checkpointIntervalMs: 20 });
    const driver = db;
    assert.equal((await driver.all("PRAGMA wal_autocheckpoint"))[0]?.["wal_autocheckpoint"], 0);
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    // Well past SQLite's own 1000-page threshold, which would checkpoint inside one of these commits.
    for (let batch = 0; batch < 10; batch++) await fill(driver, 300, batch * 300);
    await until(() => (driver.checkpointStats()?.checkpoints ?? 0) > 0, "a background checkpoint");
    assert.equal(driver.checkpointStats()?.lastError, null);
    assert.equal((await driver.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 3000);
    // After a full checkpoint the next write restarts the WAL from its beginning: it stops growing.
    await pause(100);
    const size = statSync(`${file}-wal`).size;
    for (let batch = 0; batch < 5; batch++) {
      await fill(driver, 300, 3000 + batch * 300);
      await pause(60);
    }
    assert.ok(statSync(`${file}-wal`).size <= size, "the WAL is reused, not grown without bound");
  });

  test("under steady writes the WAL keeps restarting instead of growing with every commit", async () => {
    db = openSqlite(file, { checkpointIntervalMs: 50 });
    const driver = db;
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    // A commit every 2 ms or so, as a paced group commit under load; each appends a few pages.
    let written = 0;
    let largest = 0;
    const deadline = Date.now() + 2_000;
    for (let batch = 0; Date.now() < deadline; batch++) {
      await fill(driver, 8, batch * 8);
      written += 8 * 2000;
      largest = Math.max(largest, statSync(`${file}-wal`).size);
      await pause(2);
    }
    await until(() => (driver.checkpointStats()?.checkpoints ?? 0) > 0, "a background checkpoint");
    // A WAL that never restarts holds every page of every commit: more than the rows themselves.
    assert.ok(written > 4_000_000, `enough written to tell (${written} bytes)`);
    assert.ok(largest < written / 4, `the WAL reached ${largest} bytes for ${written} bytes of rows`);
  });

  test("a WAL that reaches restartBytes is restarted, so the file stops growing", async () => {
    // A commit every 2 ms or so, as a paced group commit under load. Without the RESTART step the
    // WAL is restarted only when a pass happens to find it fully copied; here it must be restarted
    // every time it passes restartBytes (a tick later at most).
    const restartBytes = 256 * 1024;
    db = openSqlite(file, { checkpointIntervalMs: 20, walRestartBytes: restartBytes });
    const driver = db;
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    let commits = 0;
    let largest = 0;
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) {
      await fill(driver, 8, commits * 8);
      commits++;
      largest = Math.max(largest, statSync(`${file}-wal`).size);
      await pause(2);
    }
    await until(() => (driver.checkpointStats()?.restarts ?? 0) > 0, "the WAL to be restarted");
    assert.equal(driver.checkpointStats()?.lastError, null);
    // 8 rows of 2 KB per commit, about 50 commits per 20 ms tick: at most a tick's worth past it.
    assert.ok(largest < 4 * restartBytes, `the WAL reached ${largest} bytes over ${commits} commits`);
    assert.equal((await driver.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], commits * 8);
    // A last commit past restartBytes, then nothing: restarted once, not again at every tick while
    // the WAL waits for a commit to start it over.
    await pause(100); // a restart still due for the loop's last commits happens first
    const before = driver.checkpointStats()!.restarts;
    await fill(driver, 200, 1_000_000);
    await until(() => driver.checkpointStats()!.restarts > before, "the last restart");
    await pause(200);
    assert.equal(driver.checkpointStats()!.restarts, before + 1, "no restarts while nothing is written");
  });

  test("a restart that cannot get the write lock is counted as busy and tried again later", async () => {
    db = openSqlite(file, { checkpointIntervalMs: 20, walRestartBytes: 64 * 1024 });
    const driver = db;
    await driver.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
    // Another writer fills the WAL past restartBytes and, in the same synchronous step, takes the
    // lock again and holds it past the worker's 1 s busy timeout.
    const other = new DatabaseSync(file, { timeout: 5000 });
    try {
      other.exec("BEGIN IMMEDIATE");
      const insert = other.prepare("INSERT INTO t (x, note) VALUES (?, ?)");
      for (let i = 0; i < 100; i++) insert.run(i, "n".repeat(2000));
      other.exec("COMMIT");
      other.exec("BEGIN IMMEDIATE");
      await until(() => (driver.checkpointStats()?.restartsBusy ?? 0) > 0, "a busy restart", 5_000);
      assert.equal(driver.checkpointStats()?.lastError, null, "busy is not an error");
      const restarts = driver.checkpointStats()!.restarts;
      other.exec("ROLLBACK");
      await until(() => driver.checkpointStats()!.restarts > restarts, "the restart once the lock is free");
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
    }
    assert.equal((await driver.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 100);
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
    await until(() => reasons.length > 0, "the failure");
    await pause(50);
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
