/** PostgreSQL's side of what differs between the engines (sql-dialect.ts). */
import { PostgresAdapter, PostgresQueryCompiler } from "kysely";
import { compileOnly, type SqlDialect } from "../sql-dialect.ts";
import { claimable, dueRows } from "./claim-due.ts";
import { earnReads } from "./earn-reads.ts";
import { updateOutcomes } from "./finish-outcomes.ts";
import { findByPairs, findKnown } from "./key-lookups.ts";
import { forUpdate, lockIds, lockPairs } from "./row-locks.ts";

export const postgresDialect: SqlDialect = {
  engine: "postgres",
  holdsWrites: true,
  builder: compileOnly(new PostgresAdapter(), () => new PostgresQueryCompiler()),
  forUpdate,
  lockIds,
  lockPairs,
  dueRows,
  claimable,
  updateOutcomes,
  findByPairs,
  findKnown,
  earnReads,
};
