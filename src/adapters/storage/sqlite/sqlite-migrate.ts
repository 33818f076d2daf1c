/** Applies SQLite's numbered migrations not yet applied; the caller holds the driver's lock. */
import path from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { MIGRATIONS_TABLE_SQL, readMigrations } from "../migration-files.ts";
import type { SqliteStatements } from "./sqlite-executor.ts";

const MIGRATIONS_DIR = path.join(import.meta.dirname, "migrations");

export function migrateSqlite(db: DatabaseSync, executor: SqliteStatements): number[] {
  db.exec(MIGRATIONS_TABLE_SQL);
  const applied: number[] = [];
  for (const migration of readMigrations(MIGRATIONS_DIR)) {
    db.exec("BEGIN IMMEDIATE");
    try {
      // Checked under the write lock: another process sharing the file may have just applied it.
      const done = executor.allSync("SELECT version FROM schema_migrations WHERE version = ?", [
        migration.version,
      ]).length;
      if (!done) {
        db.exec(migration.sql);
        executor.runSync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        applied.push(migration.version);
      }
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }
  return applied;
}
