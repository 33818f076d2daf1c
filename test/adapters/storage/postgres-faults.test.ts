/**
 * The PostgreSQL driver under network faults, through the tests' own TCP proxy: idle and
 * checked-out connections reset, connections stalled, new connections refused, and a connection
 * lost after COMMIT was sent. Each fault is a `StorageUnavailableError` (never an unhandled
 * 'error' event, which would end this test process), the broken connections are discarded, and
 * the next statement works on a new one.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openPostgres } from "../../../src/adapters/storage/postgres/postgres-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { StorageUnavailableError, UnstorableDataError } from "../../../src/app/storage-errors.ts";
import { createTestDatabase, hasPostgres, type TestDatabase } from "../../helpers/engines.ts";
import { eventually } from "../../helpers/eventually.ts";
import { type FaultProxy, startFaultProxy } from "../../helpers/fault-proxy.ts";

const unavailable = (error: unknown) => error instanceof StorageUnavailableError;

describe("PostgreSQL driver under connection faults", {
  skip: !(await hasPostgres()),
  timeout: 60_000,
}, () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let db: SqlDriver;
  const connectionErrors: Error[] = [];
  const count = async () => Number((await db.all("SELECT COUNT(*) AS n FROM t"))[0]!["n"]);

  before(async () => {
    database = await createTestDatabase("postgres");
    const url = new URL(database.url);
    proxy = await startFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    db = openPostgres(proxy.url(database.url), {
      poolSize: 4,
      queryTimeoutMs: 400,
      connectTimeoutMs: 1000,
      onConnectionError: (error) => connectionErrors.push(error),
    });
    await db.run("CREATE TABLE t (k TEXT PRIMARY KEY)");
  });
  after(async () => {
    await db?.close();
    await proxy?.close();
    await database?.drop();
  });

  test("idle connections reset by the network are replaced; the next statement works", async () => {
    // Two connections in the pool, both idle.
    await Promise.all([db.all("SELECT pg_sleep(0.01)"), db.all("SELECT pg_sleep(0.01)")]);
    const before = connectionErrors.length;
    proxy.resetAll();
    await eventually(() => connectionErrors.length >= before + 2);
    assert.deepEqual(await db.all("SELECT 1 AS one"), [{ one: 1 }]);
  });

  test("a checked-out connection reset mid-transaction: the transaction fails as unavailable, nothing is kept", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (k) VALUES (?)", ["mid"]);
        proxy.resetAll();
        await tx.run("INSERT INTO t (k) VALUES (?)", ["mid-2"]);
      }),
      unavailable,
    );
    const rows = await db.all("SELECT k FROM t WHERE k LIKE 'mid%'");
    assert.deepEqual(rows, []);
    await db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES (?)", ["after-reset"]));
    assert.equal((await db.all("SELECT k FROM t WHERE k = 'after-reset'")).length, 1);
  });

  test("a stalled connection times out as unavailable, in and out of a transaction; then it flows again", async () => {
    await db.all("SELECT 1");
    proxy.stall(true);
    try {
      await assert.rejects(db.all("SELECT 1"), unavailable);
      await assert.rejects(
        db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES (?)", ["stalled"])),
        unavailable,
      );
    } finally {
      proxy.stall(false);
    }
    assert.deepEqual(await db.all("SELECT 1 AS one"), [{ one: 1 }]);
    assert.equal((await db.all("SELECT k FROM t WHERE k = 'stalled'")).length, 0);
  });

  test("refused connections are unavailable; once accepted again, statements work", async () => {
    proxy.resetAll();
    proxy.refuse(true);
    try {
      await eventually(async () => {
        try {
          await db.all("SELECT 1");
          return false;
        } catch (error) {
          return unavailable(error);
        }
      });
      await assert.rejects(
        db.transaction((tx) => tx.run("SELECT 1")),
        unavailable,
      );
    } finally {
      proxy.refuse(false);
    }
    assert.deepEqual(await db.all("SELECT 1 AS one"), [{ one: 1 }]);
  });

  test("the connection lost after COMMIT was sent: commitUnknown, and the commit did happen", async () => {
    const cut = proxy.cutAtNextCommit();
    await assert.rejects(
      db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES (?)", ["ambiguous"])),
      (error: unknown) => unavailable(error) && (error as StorageUnavailableError).commitUnknown,
    );
    await cut;
    assert.equal((await db.all("SELECT k FROM t WHERE k = 'ambiguous'")).length, 1);
    assert.ok((await count()) >= 1);
  });

  test("text the server cannot store (a NUL byte) is UnstorableDataError, and the connection stays usable", async () => {
    await assert.rejects(
      db.run("INSERT INTO t (k) VALUES (?)", ["nul\u0000byte"]),
      (error: unknown) => error instanceof UnstorableDataError,
    );
    await assert.rejects(
      db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES (?)", ["nul\u0000byte"])),
      (error: unknown) => error instanceof UnstorableDataError,
    );
    assert.deepEqual(await db.all("SELECT 1 AS one"), [{ one: 1 }]);
  });
});
