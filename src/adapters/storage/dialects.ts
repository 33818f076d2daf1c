/** The dialect module of each engine (sql-dialect.ts). */
import { postgresDialect } from "./postgres/dialect.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import { sqliteDialect } from "./sqlite/dialect.ts";

const DIALECTS: Readonly<Record<SqlDialect["engine"], SqlDialect>> = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
};

export const dialectOf = (engine: SqlDialect["engine"]): SqlDialect => DIALECTS[engine];
