/**
 * PostgreSQL over `pg` (node-postgres). A pool of connections; `?` placeholders are numbered;
 * int8 comes back as a JS number (our integers stay below 2^53). Commits use the server's
 * `synchronous_commit` (on by default: durable before the answer).
 */
import path from "node:path";
import pg from "pg";
import { MIGRATIONS_TABLE_SQL, readMigrations } from "../migration-files.ts";
import {
  numberPlaceholders,
  type SqlDriver,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  UniqueViolationError,
  valuesList,
} from "../sql-driver.ts";

const MIGRATIONS_DIR = path.join(import.meta.dirname, "migrations");
const MIGRATION_LOCK = 7_274_639_001;
const MAX_PARAMS = 60_000;
const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresOptions {
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): SqlDriver {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  return new PostgresDriver(pool);
}

const placeholderCache = new Map<string, string>();
function prepared(sql: string): string {
  let text = placeholderCache.get(sql);
  if (text === undefined) {
    text = numberPlaceholders(sql);
    if (placeholderCache.size > 1000) placeholderCache.clear();
    placeholderCache.set(sql, text);
  }
  return text;
}

const UNIQUE_VIOLATION = "23505";

/** Unique violations become `UniqueViolationError`, as on SQLite; the detail names the columns. */
function translated(error: unknown): unknown {
  const { code, table, detail } = error as { code?: string; table?: string; detail?: string };
  if (code !== UNIQUE_VIOLATION) return error;
  const columns = /^Key \(([^)]*)\)=/.exec(detail ?? "")?.[1]?.split(", ") ?? [];
  return new UniqueViolationError(table, columns, error);
}

class PostgresExecutor implements SqlExecutor {
  protected readonly client: pg.Pool | pg.PoolClient;
  constructor(client: pg.Pool | pg.PoolClient) {
    this.client = client;
  }

  /** Without `params`, the simple query protocol (several statements allowed). */
  protected async query(text: string, params?: readonly SqlValue[]): Promise<pg.QueryResult<SqlRow>> {
    try {
      return await this.client.query<SqlRow>(text, params as SqlValue[] | undefined);
    } catch (error) {
      throw translated(error);
    }
  }

  /** Multi-statement text through the simple query protocol (no parameters). */
  async script(sql: string): Promise<void> {
    await this.query(sql);
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return (await this.query(prepared(sql), params)).rows;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.query(prepared(sql), params)).rowCount ?? 0;
  }

  async insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options: { ignoreConflicts?: string; returning?: string } = {},
  ): Promise<SqlValue[]> {
    const out: SqlValue[] = [];
    const chunk = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const conflict = options.ignoreConflicts ? ` ON CONFLICT (${options.ignoreConflicts}) DO NOTHING` : "";
    const returning = options.returning ? ` RETURNING ${options.returning}` : "";
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.slice(start, start + chunk);
      const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${valuesList(part.length, columns.length)}${conflict}${returning}`;
      const result = await this.query(numberPlaceholders(sql), part.flat());
      if (options.returning) for (const row of result.rows) out.push(row[options.returning] ?? null);
    }
    return out;
  }
}

class PostgresDriver extends PostgresExecutor implements SqlDriver {
  readonly engine = "postgres" as const;
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    super(pool);
    this.pool = pool;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(new PostgresExecutor(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<number[]> {
    return this.transaction(async (tx) => {
      // Several processes may start together: one migrates, the others wait and find nothing to do.
      await tx.run("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
      await tx.run(MIGRATIONS_TABLE_SQL);
      const done = new Set(
        (await tx.all("SELECT version FROM schema_migrations")).map((row) => Number(row["version"])),
      );
      const applied: number[] = [];
      for (const migration of readMigrations(MIGRATIONS_DIR)) {
        if (done.has(migration.version)) continue;
        await (tx as PostgresExecutor).script(migration.sql);
        await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        applied.push(migration.version);
      }
      return applied;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
