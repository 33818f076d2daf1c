/**
 * The subset of a database driver the SQL store needs. Statements use `?` placeholders; the
 * PostgreSQL driver numbers them. Integers come back as JS numbers on both engines, and a unique
 * key violation is a `UniqueViolationError` on both.
 */
import { PostwireError } from "../../domain/errors.ts";

export type SqlValue = string | number | null;
export type SqlRow = Record<string, SqlValue>;

/** What an insert does with rows whose unique key is taken, and what it returns. */
export interface InsertOptions {
  /** Rows violating this unique key (its column list) are skipped. */
  readonly ignoreConflicts?: string;
  /**
   * Running totals: a row whose `key` (column list) exists adds its `columns` to the stored row's
   * instead. Each key at most once per insert.
   */
  readonly addOnConflict?: { readonly key: string; readonly columns: readonly string[] };
  /** A column of the inserted rows to return (rows skipped by `ignoreConflicts` return nothing). */
  readonly returning?: string;
}

export interface TransactionOptions {
  /**
   * false: the COMMIT does not wait for the disk (SQLite: synchronous=NORMAL for it, so in WAL mode
   * the next durable commit or checkpoint syncs it; PostgreSQL: synchronous_commit=off, flushed
   * within three wal_writer_delay). Only for writes whose loss to a crash of the machine (not of
   * the process) does no harm: delivery claims and outcomes, which at-least-once delivery redoes.
   */
  readonly durable?: boolean;
}

/** One table's rows for `insertAll`, with insertMany's options. */
export interface InsertPart extends InsertOptions {
  readonly table: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly SqlValue[]>;
}

/** The `ON CONFLICT …` clause of an insert into `table` with these options (same on both engines). */
export function conflictClause(table: string, options: InsertOptions): string {
  if (options.addOnConflict) {
    const { key, columns } = options.addOnConflict;
    const sums = columns.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ");
    return ` ON CONFLICT (${key}) DO UPDATE SET ${sums}`;
  }
  return options.ignoreConflicts ? ` ON CONFLICT (${options.ignoreConflicts}) DO NOTHING` : "";
}

export interface SqlExecutor {
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Insert rows; with `ignoreConflicts`, rows violating a unique key are skipped. Returns `returning` column of inserted rows. */
  insertMany(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options?: InsertOptions,
  ): Promise<SqlValue[]>;
  /**
   * Several tables' inserts, as insertMany each, in order; one `returning` list per part. On
   * PostgreSQL one statement (one round trip), on SQLite one statement per table.
   */
  insertAll(parts: readonly InsertPart[]): Promise<SqlValue[][]>;
}

/**
 * Outside a transaction, `insertMany` and `insertAll` are atomic on both engines: every row or none
 * (PostgreSQL: one statement; SQLite: one transaction). A write that needs nothing else thus takes
 * one round trip on PostgreSQL instead of BEGIN, the insert and COMMIT.
 */
export interface SqlDriver extends SqlExecutor {
  readonly engine: "sqlite" | "postgres";
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Applies the numbered migrations of this dialect not yet applied (serialised across processes). */
  migrate(): Promise<number[]>;
  /**
   * Throws (`StorageUnavailableError`) unless the database takes a write now: a real, tiny commit
   * (so a read-only or unreachable database fails it), and on SQLite room left on its file system.
   */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}

/** The readiness probe's write, on both engines: one settings row, rewritten each time. */
export const PROBE_WRITE_SQL =
  "INSERT INTO settings (key, value) VALUES ('readiness_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/** Numbers `?` placeholders as `$1…` for PostgreSQL. Our SQL never has `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `(?, ?, ?), (?, ?, ?)` for a multi-row VALUES list. */
export function valuesList(rowCount: number, columnCount: number): string {
  const row = `(${new Array(columnCount).fill("?").join(", ")})`;
  return new Array(rowCount).fill(row).join(", ");
}

/**
 * A write hit a unique key (duplicate operator key, link code…). The same error on both engines,
 * with the catalogue code `conflict` (409) and the offending column as `field` when known.
 */
export class UniqueViolationError extends PostwireError {
  readonly table: string | undefined;
  constructor(table: string | undefined, columns: readonly string[], cause: unknown) {
    const what = columns.length ? `${columns.join(", ")} ` : "";
    super("conflict", `A record with this ${what}already exists.`, columns.join(",") || undefined);
    this.name = "UniqueViolationError";
    this.table = table;
    this.cause = cause;
  }
}

/** `?, ?, …` for an IN list of `count` values. */
export const marks = (count: number): string => new Array(count).fill("?").join(", ");

/** Rows per listing: 100 unless asked, at least 1, at most 1000. */
export const limitOf = (limit: number | undefined): number =>
  Math.min(Math.max(Math.floor(limit ?? 100), 1), 1000);

/** A nullable column as a string or a number (engines return numbers or numeric strings). */
export const str = (value: SqlValue | undefined): string | null =>
  value === null || value === undefined ? null : String(value);
export const num = (value: SqlValue | undefined): number | null =>
  value === null || value === undefined ? null : Number(value);
