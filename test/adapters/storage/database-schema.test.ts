/**
 * The typed schema Kysely builds queries from (src/adapters/storage/database.ts) is the one the
 * migrations make, on both engines: the same tables, the same columns, and `| null` exactly where
 * a column takes NULL. The interfaces are read from the file's text (types do not exist at run
 * time): `name: Type;` lines, `extends Stamped` adding created_at and updated_at.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { availableEngines, createTestDriver } from "../../helpers/engines.ts";

const SOURCE = path.join(import.meta.dirname, "../../../src/adapters/storage/database.ts");

/** Table name → column name → nullable, as database.ts declares them. */
function declared(): Map<string, Map<string, boolean>> {
  const text = readFileSync(SOURCE, "utf8");
  const interfaces = new Map<string, Map<string, boolean>>();
  for (const m of text.matchAll(/interface (\w+)(?: extends Stamped)? \{([^}]*)\}/g)) {
    const columns = new Map<string, boolean>();
    if (m[0].includes("extends Stamped")) for (const c of ["created_at", "updated_at"]) columns.set(c, false);
    for (const c of m[2]!.matchAll(/^\s*(\w+): ([^;]+);/gm)) columns.set(c[1]!, /\| null/.test(c[2]!));
    interfaces.set(m[1]!, columns);
  }
  const tables = new Map<string, Map<string, boolean>>();
  const database = /export interface Database \{([^}]*)\}/.exec(text)?.[1] ?? "";
  for (const [, table, type] of database.matchAll(/^\s*(\w+): (\w+);/gm))
    tables.set(table!, interfaces.get(type!) ?? new Map());
  return tables;
}

/** The same, as the migrated database has them. */
async function migrated(db: SqlDriver): Promise<Map<string, Map<string, boolean>>> {
  const rows =
    db.engine === "sqlite"
      ? await db.all(`SELECT m.name AS t, c.name AS c, c."notnull" = 0 AND c.pk = 0 AS nullable
          FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table'`)
      : await db.all(`SELECT table_name AS t, column_name AS c, is_nullable = 'YES' AS nullable
          FROM information_schema.columns WHERE table_schema = current_schema()`);
  const tables = new Map<string, Map<string, boolean>>();
  for (const row of rows) {
    const table = String(row["t"]);
    if (table === "schema_migrations") continue;
    const columns = tables.get(table) ?? new Map<string, boolean>();
    // PostgreSQL answers a boolean, SQLite 0 or 1.
    columns.set(String(row["c"]), ["true", "1"].includes(String(row["nullable"])));
    tables.set(table, columns);
  }
  return tables;
}

const sorted = (tables: Map<string, Map<string, boolean>>) =>
  Object.fromEntries(
    [...tables]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([t, c]) => [t, Object.fromEntries([...c].sort())]),
  );

for (const engine of await availableEngines()) {
  test(`database.ts declares the migrated schema (${engine})`, async () => {
    const db = await createTestDriver(engine);
    try {
      const expected = declared();
      assert.ok(expected.size > 15, "the interfaces were read");
      assert.deepEqual(sorted(await migrated(db)), sorted(expected));
    } finally {
      await db.close();
    }
  });
}
