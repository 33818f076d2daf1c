/**
 * Outside a transaction, a driver's insertMany and insertAll keep every row or none, on both
 * engines (the click batch relies on it: on PostgreSQL it is one statement, without BEGIN/COMMIT).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { UniqueViolationError } from "../../../src/adapters/storage/sql-driver.ts";
import { availableEngines, createTestDatabase, type TestDatabase } from "../../helpers/engines.ts";

for (const engine of await availableEngines()) {
  describe(`driver inserts outside a transaction (${engine})`, () => {
    let database: TestDatabase;
    let db: SqlDriver;
    const count = async (table: string) =>
      Number((await db.all(`SELECT COUNT(*) AS n FROM ${table}`))[0]!["n"]);

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDriver(database.url);
      await db.run("CREATE TABLE a (k TEXT PRIMARY KEY)");
      await db.run("CREATE TABLE b (k TEXT PRIMARY KEY)");
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test("insertMany with a duplicate key after good rows stores none of them", async () => {
      await assert.rejects(
        db.insertMany("a", ["k"], [["one"], ["two"], ["one"]]),
        (error: unknown) => error instanceof UniqueViolationError,
      );
      assert.equal(await count("a"), 0);
      assert.deepEqual(await db.insertMany("a", ["k"], [["one"], ["two"]], { returning: "k" }), [
        "one",
        "two",
      ]);
      assert.equal(await count("a"), 2);
    });

    test("insertAll whose second table fails keeps nothing of the first", async () => {
      await db.insertMany("b", ["k"], [["taken"]]);
      await assert.rejects(
        db.insertAll([
          { table: "a", columns: ["k"], rows: [["three"], ["four"]] },
          { table: "b", columns: ["k"], rows: [["free"], ["taken"]] },
        ]),
        (error: unknown) => error instanceof UniqueViolationError,
      );
      assert.equal(await count("a"), 2);
      assert.equal(await count("b"), 1);
    });
  });
}
