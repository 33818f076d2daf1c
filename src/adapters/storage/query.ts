/**
 * Runs queries built with Kysely (sql-dialect.ts) through our SQL driver: compiled for the engine,
 * then executed by `all`/`run` like hand-written SQL (PostgreSQL's `$n` pass through unchanged).
 * Compiling costs microseconds, so these serve listings and entity CRUD, not the hot paths.
 */
import type { Compilable } from "kysely";
import type { SqlExecutor, SqlRow, SqlValue } from "./sql-driver.ts";

function compiled(query: Compilable): { sql: string; params: SqlValue[] } {
  const { sql, parameters } = query.compile();
  // Our builders only take strings, numbers and nulls (booleans and JSON are converted first).
  return { sql, params: parameters as SqlValue[] };
}

/** The rows of a built SELECT (or of a statement with RETURNING). */
export function rowsOf(db: SqlExecutor, query: Compilable): Promise<SqlRow[]> {
  const { sql, params } = compiled(query);
  return db.all(sql, params);
}

/** The first row of a built query, if any. */
export async function firstOf(db: SqlExecutor, query: Compilable): Promise<SqlRow | undefined> {
  return (await rowsOf(db, query))[0];
}

/** How many rows a built UPDATE or DELETE changed. */
export function changesOf(db: SqlExecutor, query: Compilable): Promise<number> {
  const { sql, params } = compiled(query);
  return db.run(sql, params);
}
