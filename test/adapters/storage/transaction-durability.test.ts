/**
 * Bookkeeping transactions (delivery claims and outcomes) commit without waiting for the disk, on
 * both engines, and only they: SQLite runs them with synchronous=NORMAL and goes back to FULL
 * after (even when they fail); PostgreSQL with synchronous_commit=off for the transaction alone.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { SqlDriver, SqlExecutor } from "../../../src/adapters/storage/sql-driver.ts";
import { availableEngines, createTestDriver } from "../../helpers/engines.ts";

for (const engine of await availableEngines()) {
  describe(`commit durability per transaction (${engine})`, () => {
    let db: SqlDriver;
    before(async () => {
      db = await createTestDriver(engine);
    });
    after(() => db.close());

    /** The engine's setting as the transaction sees it: "durable" or "deferred". */
    const setting = async (tx: SqlExecutor): Promise<string> => {
      if (engine === "sqlite") {
        const [row] = await tx.all("PRAGMA synchronous");
        return Number(Object.values(row!)[0]) >= 2 ? "durable" : "deferred";
      }
      const [row] = await tx.all("SHOW synchronous_commit");
      return row!["synchronous_commit"] === "off" ? "deferred" : "durable";
    };

    test("only a transaction marked not durable defers its commit; the next one is durable again", async () => {
      assert.equal(await db.transaction(setting), "durable");
      assert.equal(await db.transaction(setting, { durable: false }), "deferred");
      assert.equal(await db.transaction(setting), "durable");
      await assert.rejects(
        db.transaction(
          async () => {
            throw new Error("work failed");
          },
          { durable: false },
        ),
        /work failed/,
      );
      assert.equal(await db.transaction(setting), "durable", "restored after a failed one too");
      await db.transaction((tx) => tx.run("INSERT INTO settings (key, value) VALUES ('k', 'v')"), {
        durable: false,
      });
      const [row] = await db.all("SELECT value FROM settings WHERE key = 'k'");
      assert.equal(row?.["value"], "v", "committed");
    });
  });
}
