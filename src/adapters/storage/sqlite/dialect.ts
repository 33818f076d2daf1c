/** SQLite's side of what differs between the engines (sql-dialect.ts). */
import { SqliteAdapter, SqliteQueryCompiler } from "kysely";
import { compileOnly, type SqlDialect } from "../sql-dialect.ts";

export const sqliteDialect: SqlDialect = {
  engine: "sqlite",
  builder: compileOnly(new SqliteAdapter(), () => new SqliteQueryCompiler()),
};
