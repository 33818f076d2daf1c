/**
 * Fresh databases for each benchmark server: a SQLite file in a temp folder, or a PostgreSQL
 * database on 127.0.0.1 created here and dropped after. Every one is tracked so `dropAll` removes
 * what is left after an error or Ctrl-C. Row counts are read directly from the database, not
 * through the service, to check what the service acknowledged against what it stored.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";

export type Engine = "sqlite" | "postgres";

export interface BenchDatabase {
  readonly engine: Engine;
  readonly url: string;
  /** Rows in a table right now. */
  count(table: "conversions" | "clicks"): Promise<number>;
  /** The first column of the first row of `sql`, as a number. */
  scalar(sql: string): Promise<number>;
  /** Refreshes the planner's statistics (PostgreSQL's ANALYZE; nothing to do on SQLite). */
  analyze(): Promise<void>;
  drop(): Promise<void>;
}

/** The PostgreSQL server to create benchmark databases on (a superuser or CREATEDB role). */
export const POSTGRES_ADMIN_URL =
  process.env["BENCH_POSTGRES_URL"] ??
  process.env["TEST_POSTGRES_URL"] ??
  "postgres://postgres@127.0.0.1:5432/postgres";

const open = new Set<BenchDatabase>();
let tempRoot: string | undefined;
let sequence = 0;

function root(): string {
  tempRoot ??= mkdtempSync(path.join(tmpdir(), "postwire-bench-"));
  return tempRoot;
}

export async function postgresAvailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createDatabase(engine: Engine): Promise<BenchDatabase> {
  sequence++;
  let db: BenchDatabase;
  if (engine === "sqlite") {
    const dir = mkdtempSync(path.join(root(), "sqlite-"));
    const file = path.join(dir, "bench.db");
    db = {
      engine,
      url: `sqlite:${file}`,
      count: (table) => db.scalar(`SELECT COUNT(*) FROM ${table}`),
      async scalar(sql) {
        const reader = new DatabaseSync(file, { readOnly: true });
        try {
          return Number(Object.values(reader.prepare(sql).get() ?? {})[0]);
        } finally {
          reader.close();
        }
      },
      async analyze() {},
      async drop() {
        open.delete(db);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } else {
    const name = `postwire_bench_${process.pid}_${sequence}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    db = {
      engine,
      url: url.toString(),
      count: (table) => db.scalar(`SELECT COUNT(*) FROM ${table}`),
      async scalar(sql) {
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        try {
          return Number(Object.values((await client.query(sql)).rows[0] ?? {})[0]);
        } finally {
          await client.end();
        }
      },
      async analyze() {
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        try {
          await client.query("ANALYZE");
        } finally {
          await client.end();
        }
      },
      async drop() {
        open.delete(db);
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  open.add(db);
  return db;
}

/** Drops every database still open and removes the temp folder. */
export async function dropAll(): Promise<void> {
  for (const db of [...open]) await db.drop().catch(() => undefined);
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = undefined;
}
