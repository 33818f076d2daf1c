/**
 * PostgreSQL over `pg` (node-postgres). A pool of connections; `?` placeholders are numbered;
 * int8 comes back as a JS number (our integers stay below 2^53). Commits use the server's
 * `synchronous_commit` (on by default: durable before the answer).
 *
 * Faults: a connection that errors, idle or checked out, is discarded and the pool opens a new one
 * on demand; every statement has a deadline (`queryTimeoutMs`, on the server as statement_timeout
 * and on the client, so a stalled network cannot hold a request for ever); failures come out as
 * the store's errors (pg-errors.ts). Nothing here lets a database fault reach the process as an
 * unhandled 'error' event.
 */
import path from "node:path";
import pg from "pg";
import { MIGRATIONS_TABLE_SQL, readMigrations } from "../migration-files.ts";
import {
  conflictClause,
  type InsertOptions,
  type InsertPart,
  numberPlaceholders,
  PROBE_WRITE_SQL,
  type SqlDriver,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  type TransactionOptions,
} from "../sql-driver.ts";
import { translated } from "./pg-errors.ts";
import { runTransaction } from "./pg-transaction.ts";

const MIGRATIONS_DIR = path.join(import.meta.dirname, "migrations");
const MIGRATION_LOCK = 7_274_639_001;
const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresOptions {
  readonly poolSize?: number;
  /** How long getting a connection may take (default 5 s, at most the statement deadline). */
  readonly connectTimeoutMs?: number;
  /**
   * Deadline of one statement (default 10 s): the server cancels it (statement_timeout) and the
   * client gives up on it and discards the connection (a stalled network never answers).
   * Migrations run without it.
   */
  readonly queryTimeoutMs?: number;
  /** Told when a connection fails (for the service's log); the pool replaces it on demand. */
  readonly onConnectionError?: (error: Error) => void;
}

/** A transaction left open by a client that vanished (a network partition) ends after this. */
const IDLE_IN_TRANSACTION_MS = 60_000;

export function openPostgres(url: string, options: PostgresOptions = {}): SqlDriver {
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  // Waiting longer for a connection than for a statement would hold requests past the deadline.
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(5000, queryTimeoutMs);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    query_timeout: queryTimeoutMs,
    statement_timeout: queryTimeoutMs,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    // A peer that vanished without closing (a failover, a cut cable) is noticed on idle connections.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types,
  });
  const onError = (error: Error) => options.onConnectionError?.(error);
  // The pool listens for errors of idle clients only; a checked-out client whose connection fails
  // emits 'error' too, and with no listener that event would end the process. Every client gets
  // one for life: the failed statement rejects, and release(error) discards the client.
  pool.on("connect", (client) => client.on("error", onError));
  pool.on("error", () => undefined);
  return new PostgresDriver(pool, {
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
  });
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

/** What statements run on: the pool (one statement, any connection) or one connection. */
type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export class PostgresExecutor implements SqlExecutor {
  protected readonly client: Queryable;
  protected readonly columnTypes: ColumnTypes;
  constructor(client: Queryable, columnTypes: ColumnTypes) {
    this.client = client;
    this.columnTypes = columnTypes;
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

  /**
   * Bulk insert as `INSERT … SELECT * FROM unnest($1::type[], …)` under a named prepared statement:
   * one parse and plan per connection for any number of rows, where a multi-row VALUES list would
   * be parsed and planned again for every batch size (measurably PostgreSQL's main cost here).
   */
  async insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options: InsertOptions = {},
  ): Promise<SqlValue[]> {
    if (rows.length === 0) return [];
    const values: unknown[] = [];
    const text = await this.unnestInsert({ table, columns, rows, ...options }, values);
    const result = await this.named(text, values);
    return options.returning ? result.rows.map((row) => row[options.returning!] ?? null) : [];
  }

  /** `INSERT … SELECT * FROM unnest(…)` for one part; its column arrays are appended to `values`. */
  private async unnestInsert(part: InsertPart, values: unknown[]): Promise<string> {
    const types = await this.columnTypes.of(this.client, part.table, part.columns);
    const params = types.map((type, c) => {
      values.push(part.rows.map((row) => row[c] ?? null));
      return `$${values.length}::${type}[]`;
    });
    const conflict = conflictClause(part.table, part);
    const returning = part.returning ? ` RETURNING ${part.returning}` : "";
    return `INSERT INTO ${part.table} (${part.columns.join(", ")}) SELECT * FROM unnest(${params.join(", ")})${conflict}${returning}`;
  }

  /**
   * The parts as data-modifying CTEs of one statement, each `INSERT … SELECT * FROM unnest(…)` as
   * in insertMany: one round trip for all of them. Parts with no rows are left out (the statement
   * text, prepared once per connection, depends only on which parts have rows). PostgreSQL runs
   * every data-modifying CTE whether or not the final SELECT reads it: those with `returning` as
   * the SELECT reads them, the rest after it, in order. One statement text thus always takes its
   * row locks in the same order, as separate statements in a fixed order did.
   */
  async insertAll(parts: readonly InsertPart[]): Promise<SqlValue[][]> {
    const out: SqlValue[][] = parts.map(() => []);
    const present = parts.flatMap((part, index) => (part.rows.length ? [{ part, index }] : []));
    if (present.length === 0) return out;
    const values: unknown[] = [];
    const ctes: string[] = [];
    const selects: string[] = [];
    for (const { part, index } of present) {
      ctes.push(`p${index} AS (${await this.unnestInsert(part, values)})`);
      if (part.returning)
        selects.push(`SELECT ${index} AS part, ${part.returning}::text AS value FROM p${index}`);
    }
    if (selects.length === 0) selects.push("SELECT NULL::int AS part, NULL::text AS value WHERE false");
    const result = await this.named(`WITH ${ctes.join(", ")} ${selects.join(" UNION ALL ")}`, values);
    for (const row of result.rows) out[Number(row["part"])]!.push(row["value"] ?? null);
    return out;
  }

  /** Runs a fixed statement text as a named prepared statement (parsed once per connection). */
  async named(text: string, values: readonly unknown[]): Promise<pg.QueryResult<SqlRow>> {
    try {
      return await this.client.query<SqlRow>({
        name: statementName(text),
        text,
        values: values as unknown[],
      });
    } catch (error) {
      throw translated(error);
    }
  }
}

const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `pw_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

/** PostgreSQL types of table columns, read once from the catalog (for typed unnest arrays). */
class ColumnTypes {
  private readonly tables = new Map<string, Promise<Map<string, string>>>();

  async of(client: Queryable, table: string, columns: readonly string[]): Promise<string[]> {
    let types = this.tables.get(table);
    if (!types) {
      types = client
        .query<{ column_name: string; udt_name: string }>(
          "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
          [table],
        )
        .then(
          (result) => new Map(result.rows.map((row) => [row.column_name, row.udt_name])),
          (error: unknown) => {
            throw translated(error);
          },
        );
      types.catch(() => this.tables.delete(table));
      this.tables.set(table, types);
    }
    const known = await types;
    return columns.map((column) => {
      const type = known.get(column);
      if (!type) throw new Error(`unknown column ${table}.${column}`);
      return type;
    });
  }
}

class PostgresDriver extends PostgresExecutor implements SqlDriver {
  readonly engine = "postgres" as const;
  private readonly pool: pg.Pool;
  /** Where a connection of its own (migrations) goes, and how long it may take to open. */
  private readonly direct: pg.ClientConfig;

  constructor(pool: pg.Pool, direct: pg.ClientConfig) {
    super(pool, new ColumnTypes());
    this.pool = pool;
    this.direct = direct;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translated(error);
    }
    return runTransaction(
      client,
      (c) => work(new PostgresExecutor(c, this.columnTypes)),
      (broken) => client.release(broken),
      options.durable ?? true,
    );
  }

  /** On a connection of its own, without the statement deadline: a migration may take long. */
  async migrate(): Promise<number[]> {
    const client = new pg.Client({ ...this.direct, types });
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw translated(error);
    }
    const columnTypes = this.columnTypes;
    return runTransaction(
      client,
      async (c) => {
        const tx = new PostgresExecutor(c, columnTypes);
        // Several processes may start together: one migrates, the others wait and find nothing to do.
        await tx.run("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
        await tx.run(MIGRATIONS_TABLE_SQL);
        const done = new Set(
          (await tx.all("SELECT version FROM schema_migrations")).map((row) => Number(row["version"])),
        );
        const applied: number[] = [];
        for (const migration of readMigrations(MIGRATIONS_DIR)) {
          if (done.has(migration.version)) continue;
          await tx.script(migration.sql);
          await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
            migration.version,
            migration.name,
            Date.now(),
          ]);
          applied.push(migration.version);
        }
        return applied;
      },
      () => void client.end().catch(() => undefined),
    );
  }

  async checkWritable(): Promise<void> {
    await this.run(PROBE_WRITE_SQL, [String(Date.now())]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
