/**
 * Stores on both engines for tests: a fresh SQLite file in a temp folder, and a fresh PostgreSQL
 * database on 127.0.0.1 (created here, dropped after). In CI (CI=true) PostgreSQL must be
 * reachable: its tests fail rather than skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { openDriver } from "../../src/adapters/storage/open-driver.ts";
import { openStore } from "../../src/adapters/storage/open-store.ts";
import type { SqlDriver } from "../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../src/app/ports.ts";
import { PATIENCE_MS } from "./until.ts";

export const ENGINES = ["sqlite", "postgres"] as const;
export type Engine = (typeof ENGINES)[number];

const ADMIN_URL = process.env["TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

let postgresAvailable: Promise<boolean> | undefined;
export function hasPostgres(): Promise<boolean> {
  postgresAvailable ??= (async () => {
    // Absent, it refuses at once; present but slow to accept (a busy machine), it is waited for.
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: PATIENCE_MS });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      if (process.env["CI"] === "true")
        throw new Error(`PostgreSQL is required in CI: ${(error as Error).message}`);
      return false;
    }
  })();
  return postgresAvailable;
}

/** A test database: its URL and a cleanup that removes it. */
export interface TestDatabase {
  readonly engine: Engine;
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "postwire-test-"));
    return {
      engine,
      url: `sqlite:${path.join(dir, "test.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `postwire_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A migrated store on a fresh database; `close()` also drops the database. */
export async function createTestStore(engine: Engine): Promise<Store & { readonly url: string }> {
  const database = await createTestDatabase(engine);
  const store = openStore(database.url);
  await store.migrate();
  return Object.assign(Object.create(null), store, {
    url: database.url,
    async close() {
      await store.close();
      await database.drop();
    },
  }) as Store & { readonly url: string };
}

/** `driver`'s methods, bound, with `changes` in their place: a driver wrapped for a test. */
export function driverWith(driver: SqlDriver, changes: Partial<SqlDriver> = {}): SqlDriver {
  return {
    engine: driver.engine,
    all: (sql, params) => driver.all(sql, params),
    run: (sql, params) => driver.run(sql, params),
    insertMany: (table, columns, rows, options) => driver.insertMany(table, columns, rows, options),
    insertAll: (parts) => driver.insertAll(parts),
    transaction: (work, options) => driver.transaction(work, options),
    migrate: () => driver.migrate(),
    checkWritable: () => driver.checkWritable(),
    close: () => driver.close(),
    ...changes,
  };
}

/** A migrated SQL driver on a fresh database; `close()` also drops the database. */
export async function createTestDriver(engine: Engine): Promise<SqlDriver> {
  const database = await createTestDatabase(engine);
  const driver = openDriver(database.url);
  await driver.migrate();
  return driverWith(driver, {
    async close() {
      await driver.close();
      await database.drop();
    },
  });
}

/** The engines to run a suite against: both, or SQLite only when PostgreSQL is absent outside CI. */
export async function availableEngines(): Promise<Engine[]> {
  return (await hasPostgres()) ? [...ENGINES] : ["sqlite"];
}
