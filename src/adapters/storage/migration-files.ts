/** Numbered migration files of one dialect folder: `NNN_name.sql`, applied in order, each once. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function readMigrations(directory: string): MigrationFile[] {
  return readdirSync(directory)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(path.join(directory, file), "utf8"),
    }));
}

export const MIGRATIONS_TABLE_SQL =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
