/** SQLite's side of what differs between the engines (sql-dialect.ts). */
import { SqliteAdapter, SqliteQueryCompiler } from "kysely";
import { compileOnly, type SqlDialect } from "../sql-dialect.ts";
import { claimable, dueRows } from "./claim-due.ts";
import { updateOutcomes } from "./finish-outcomes.ts";
import { findByPairs, findKnown } from "./key-lookups.ts";

/** No row locks: a write transaction holds the database's only write lock from BEGIN IMMEDIATE. */
const unlocked = async (): Promise<void> => {};

export const sqliteDialect: SqlDialect = {
  engine: "sqlite",
  holdsWrites: false,
  builder: compileOnly(new SqliteAdapter(), () => new SqliteQueryCompiler()),
  forUpdate: "",
  lockIds: unlocked,
  lockPairs: unlocked,
  dueRows,
  claimable,
  updateOutcomes,
  findByPairs,
  findKnown,
};
