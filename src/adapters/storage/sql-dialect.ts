/**
 * What differs between the engines, one module per engine (sqlite/dialect.ts, postgres/dialect.ts)
 * with the same exports; stores ask `dialectOf(engine)` (dialects.ts) instead of branching on the
 * engine name.
 *
 * Queries off the hot path are built with Kysely, used as a typed builder and compiler only: a
 * compile-only Kysely (DummyDriver: it never connects) turns a built query into this engine's
 * {sql, parameters}, and query.ts runs them through our SqlDriver. One execution path thus keeps
 * the drivers' transactions, error mapping, durability options and the tests' statement recording,
 * with no second connection pool (Kysely's own SqliteDialect would also need a node:sqlite shim).
 */
import { type DialectAdapter, DummyDriver, Kysely, type QueryCompiler, SqliteIntrospector } from "kysely";
import type { Database } from "./database.ts";

export interface SqlDialect {
  readonly engine: "sqlite" | "postgres";
  /** Builds and compiles this engine's SQL (never executes: see query.ts). */
  readonly builder: Kysely<Database>;
}

/** A Kysely that compiles for `adapter` and `compiler` and cannot run anything itself. */
export function compileOnly(adapter: DialectAdapter, compiler: () => QueryCompiler): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => adapter,
      createDriver: () => new DummyDriver(),
      // Never used (no schema introspection here); any introspector satisfies the interface.
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: compiler,
    },
  });
}
