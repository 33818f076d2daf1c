/**
 * Queries built with Kysely run through our drivers on both engines (sql-dialect.ts, query.ts):
 * each engine's compiler writes its own placeholders, results come back converted as hand-written
 * SQL's do, a unique violation is the store's error, and built queries join the driver's
 * transactions.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dialectOf } from "../../../src/adapters/storage/dialects.ts";
import { changesOf, firstOf, rowsOf } from "../../../src/adapters/storage/query.ts";
import { type SqlDriver, UniqueViolationError } from "../../../src/adapters/storage/sql-driver.ts";
import { availableEngines, createTestDriver } from "../../helpers/engines.ts";

for (const engine of await availableEngines()) {
  describe(`built queries through the driver (${engine})`, () => {
    let db: SqlDriver;
    const { builder } = dialectOf(engine);
    const affiliate = (name: string, at: number) => ({
      name,
      email: null,
      status: "active",
      parent_id: null,
      created_at: at,
      updated_at: at,
    });

    before(async () => {
      db = await createTestDriver(engine);
    });
    after(() => db.close());

    test("compiles with the engine's placeholders", () => {
      const { sql } = builder.selectFrom("affiliates").selectAll().where("id", "=", 1).compile();
      assert.match(sql, engine === "postgres" ? /"id" = \$1/ : /"id" = \?/);
    });

    test("inserts, reads with a row-value keyset, updates and counts", async () => {
      const ids: number[] = [];
      for (const [i, name] of ["ann", "bob", "cy"].entries()) {
        const row = await firstOf(
          db,
          builder
            .insertInto("affiliates")
            .values(affiliate(name, 1000 + i))
            .returning("id"),
        );
        ids.push(Number(row!["id"]));
      }
      const page = await rowsOf(
        db,
        builder
          .selectFrom("affiliates")
          .selectAll()
          .where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(1002, ids[2]!)))
          .orderBy("created_at", "desc")
          .orderBy("id", "desc")
          .limit(5),
      );
      assert.deepEqual(
        page.map((r) => [r["name"], r["created_at"], r["email"]]),
        [
          ["bob", 1001, null],
          ["ann", 1000, null],
        ],
      );
      const changed = await changesOf(
        db,
        builder.updateTable("affiliates").set({ status: "paused" }).where("id", "in", ids.slice(0, 2)),
      );
      assert.equal(changed, 2);
      const counted = await firstOf(
        db,
        builder
          .selectFrom("affiliates")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("status", "=", "paused"),
      );
      // int8 counts are numbers on both engines (the drivers convert them).
      assert.equal(counted!["n"], 2);
    });

    test("a unique violation is the store's error", async () => {
      const insert = builder.insertInto("settings").values({ key: "dup", value: "1" });
      await changesOf(db, insert);
      await assert.rejects(changesOf(db, insert), (error: unknown) => error instanceof UniqueViolationError);
    });

    test("built queries run inside the driver's transactions", async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await changesOf(tx, builder.insertInto("settings").values({ key: "rolled", value: "x" }));
          assert.ok(
            await firstOf(tx, builder.selectFrom("settings").selectAll().where("key", "=", "rolled")),
          );
          throw new Error("undo");
        }),
        /undo/,
      );
      assert.equal(
        await firstOf(db, builder.selectFrom("settings").selectAll().where("key", "=", "rolled")),
        undefined,
      );
    });
  });
}
