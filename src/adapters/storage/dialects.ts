/** The dialect module of an engine (sql-dialect.ts). */
import { postgresDialect } from "./postgres/dialect.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import { sqliteDialect } from "./sqlite/dialect.ts";

export const dialectOf = (engine: "sqlite" | "postgres"): SqlDialect =>
  engine === "postgres" ? postgresDialect : sqliteDialect;
