/** PostgreSQL's side of what differs between the engines (sql-dialect.ts). */
import { PostgresAdapter, PostgresQueryCompiler } from "kysely";
import { compileOnly, type SqlDialect } from "../sql-dialect.ts";

export const postgresDialect: SqlDialect = {
  engine: "postgres",
  builder: compileOnly(new PostgresAdapter(), () => new PostgresQueryCompiler()),
};
