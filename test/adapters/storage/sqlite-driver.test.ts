/**
 * The SQLite driver's async lock: node:sqlite has one connection, so a statement issued by another
 * caller while a transaction awaits must wait for it, never land inside it (and be rolled back
 * with it, or commit half of it).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { UniqueViolationError } from "../../../src/adapters/storage/sql-driver.ts";
import { openSqlite } from "../../../src/adapters/storage/sqlite/sqlite-driver.ts";
import { gate } from "../../helpers/until.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("sqlite driver", () => {
  let dir: string;
  let db: SqlDriver;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "postwire-sqlite-"));
    db = openSqlite(path.join(dir, "t.db"));
    await db.run("CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)");
  });
  afterEach(async () => {
    await db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const values = async () => (await db.all("SELECT x FROM t ORDER BY x")).map((r) => r["x"]);

  test("a statement issued while a transaction awaits is not part of it (rollback)", async () => {
    const order: string[] = [];
    const [inside, failing] = [gate(), gate()];
    const tx = db.transaction(async (t) => {
      await t.run("INSERT INTO t (x) VALUES (1)");
      inside.open();
      await failing.opened;
      order.push("tx failing");
      throw new Error("rollback");
    });
    await inside.opened; // the transaction is open and waiting
    const outside = db.run("INSERT INTO t (x) VALUES (99)").then(() => order.push("outside ran"));
    const seen = db.all("SELECT COUNT(*) AS n FROM t");
    await nextTurn();
    failing.open();
    await assert.rejects(tx, /rollback/);
    await outside;
    assert.deepEqual(order, ["tx failing", "outside ran"]);
    assert.deepEqual(await values(), [99], "the outside insert survives the rollback");
    assert.equal((await seen)[0]!["n"], 1, "the outside read ran after the rollback");
  });

  test("a statement issued while a transaction awaits runs after its commit", async () => {
    const [inside, second] = [gate(), gate()];
    const tx = db.transaction(async (t) => {
      await t.run("INSERT INTO t (x) VALUES (1)");
      inside.open();
      await second.opened;
      await t.run("INSERT INTO t (x) VALUES (2)");
      return "done";
    });
    await inside.opened;
    const read = db.all("SELECT x FROM t ORDER BY x");
    await nextTurn();
    second.open();
    assert.equal(await tx, "done");
    assert.deepEqual(
      (await read).map((r) => r["x"]),
      [1, 2],
      "the read saw the whole committed transaction, not half of it",
    );
  });

  test("concurrent transactions run one after the other", async () => {
    let inside = 0;
    let overlap = false;
    const one = (x: number) =>
      db.transaction(async (t) => {
        inside++;
        if (inside > 1) overlap = true;
        await t.run("INSERT INTO t (x) VALUES (?)", [x]);
        await nextTurn(); // another transaction would start now if the driver let it
        inside--;
      });
    await Promise.all([1, 2, 3, 4, 5].map(one));
    assert.equal(overlap, false);
    assert.deepEqual(await values(), [1, 2, 3, 4, 5]);
  });

  test("a failed statement inside a transaction rolls back the earlier ones", async () => {
    await db.run("INSERT INTO t (x) VALUES (7)");
    await assert.rejects(
      db.transaction(async (t) => {
        await t.run("INSERT INTO t (x) VALUES (8)");
        await t.run("INSERT INTO t (x) VALUES (7)");
      }),
      (error: unknown) => error instanceof UniqueViolationError && error.field === "x",
    );
    assert.deepEqual(await values(), [7]);
  });

  test("insertMany with ignoreConflicts returns only inserted keys", async () => {
    await db.run("INSERT INTO t (x) VALUES (1)");
    const ids = await db.insertMany(
      "t",
      ["x", "note"],
      [
        [1, "dup"],
        [2, "new"],
      ],
      {
        ignoreConflicts: "x",
        returning: "x",
      },
    );
    assert.deepEqual(ids, [2]);
  });

  test("insertMany returns an inserted column of exactly the rows that went in, or a generated one", async () => {
    await db.run("CREATE TABLE k (id TEXT PRIMARY KEY, v TEXT UNIQUE)");
    const given = await db.insertMany(
      "k",
      ["id", "v"],
      [
        ["a", "x"],
        ["b", "x"],
        ["c", "y"],
        ["d", "y"],
        ["e", "z"],
      ],
      { ignoreConflicts: "v", returning: "id" },
    );
    assert.deepEqual(given, ["a", "c", "e"]);
    await db.run("CREATE TABLE g (n INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE)");
    const generated = await db.insertMany("g", ["v"], [["p"], ["p"], ["q"]], {
      ignoreConflicts: "v",
      returning: "n",
    });
    const stored = (await db.all("SELECT n FROM g ORDER BY n")).map((row) => row["n"]);
    assert.deepEqual(generated, stored);
    assert.equal(generated.length, 2);
  });

  test("after close every call rejects", async () => {
    await db.close();
    await assert.rejects(db.all("SELECT 1"), /closed/);
    await assert.rejects(
      db.transaction(async () => undefined),
      /closed/,
    );
  });
});
