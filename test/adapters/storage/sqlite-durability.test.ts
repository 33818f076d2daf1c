/**
 * Durability of SQLite writes: with the default (FULL) a write resolves only after the WAL has been
 * synced, the sync runs off the event loop, and concurrent writes share syncs without ever being
 * answered by a sync that started before their commit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { openSqlite } from "../../../src/adapters/storage/sqlite/sqlite-driver.ts";
import { WalSync } from "../../../src/adapters/storage/sqlite/wal-sync.ts";

function tempFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "postwire-wal-"));
  return { file: path.join(dir, "db.sqlite"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Gate {
  readonly calls: string[];
  release(): void;
  sync: (file: string) => Promise<void>;
}

/** A WAL sync that waits until released, recording each call. */
function gatedSync(): Gate {
  const waiting: Array<() => void> = [];
  const calls: string[] = [];
  return {
    calls,
    release: () => {
      for (const wake of waiting.splice(0)) wake();
    },
    sync: (file) => {
      calls.push(file);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

const settled = async <T>(promise: Promise<T>): Promise<boolean> => {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test("a committed transaction resolves only after the WAL sync, which names the -wal file", async () => {
  const { file, remove } = tempFile();
  const gate = gatedSync();
  const db = openSqlite(file, { fileSync: gate.sync });
  try {
    const create = db.run("CREATE TABLE t (v INTEGER)");
    await new Promise((resolve) => setTimeout(resolve, 10));
    gate.release();
    await create;
    const write = db.transaction((tx) => tx.run("INSERT INTO t (v) VALUES (1)"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await settled(write), false, "not answered before the sync");
    // The commit itself is done: a reader sees the row while the sync is still running.
    assert.equal((await db.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 1);
    gate.release();
    assert.equal(await write, 1);
    assert.ok(gate.calls.every((call) => call === `${path.resolve(file)}-wal`));
    const [mode] = await db.all("PRAGMA synchronous");
    assert.equal(mode?.["synchronous"], 1, "the connection itself runs NORMAL; WalSync adds the commit sync");
  } finally {
    gate.release();
    await db.close();
    remove();
  }
});

test("writes during a running sync wait for the next one; they share it", async () => {
  const gate = gatedSync();
  const sync = new WalSync("/nonexistent/db", gate.sync);
  const first = sync.sync();
  const second = sync.sync();
  const third = sync.sync();
  assert.equal(gate.calls.length, 1);
  assert.equal(second, third, "callers during one sync share the next");
  gate.release();
  await first;
  assert.equal(await settled(second), false, "the second sync has started but not finished");
  assert.equal(gate.calls.length, 2);
  gate.release();
  await Promise.all([second, third]);
  assert.equal(gate.calls.length, 2);
});

test("a failed sync fails the writes waiting on it, and the next write syncs again", async () => {
  let fail = true;
  const calls: number[] = [];
  const sync = new WalSync("/nonexistent/db", async () => {
    calls.push(calls.length);
    if (fail) throw new Error("EIO");
  });
  await assert.rejects(sync.sync(), /EIO/);
  fail = false;
  await sync.sync();
  assert.equal(calls.length, 2);
});

test("SQLITE_SYNCHRONOUS=NORMAL skips the sync entirely", async () => {
  const { file, remove } = tempFile();
  const gate = gatedSync();
  const db = openSqlite(file, { synchronous: "NORMAL", fileSync: gate.sync });
  try {
    await db.run("CREATE TABLE t (v INTEGER)");
    await db.transaction((tx) => tx.run("INSERT INTO t (v) VALUES (1)"));
    assert.equal(gate.calls.length, 0);
  } finally {
    await db.close();
    remove();
  }
});

test("the real fdatasync path works on a real file", async () => {
  const { file, remove } = tempFile();
  const db = openSqlite(file);
  try {
    await db.run("CREATE TABLE t (v INTEGER)");
    await Promise.all(
      [1, 2, 3].map((v) => db.transaction((tx) => tx.run("INSERT INTO t (v) VALUES (?)", [v]))),
    );
    assert.equal((await db.all("SELECT COUNT(*) AS n FROM t"))[0]?.["n"], 3);
  } finally {
    await db.close();
    remove();
  }
});
