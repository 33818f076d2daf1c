/**
 * Statements on one node:sqlite connection: a cache of prepared statements, execution with
 * failures reported as the store's errors (sqlite-errors.ts), and inserts row by row. Synchronous;
 * the driver (sqlite-serial-driver.ts) serialises callers around it, and `unlocked` serves its
 * transactions, which hold its lock already.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  conflictClause,
  type InsertOptions,
  type InsertPart,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  valuesList,
} from "../sql-driver.ts";
import { translated } from "./sqlite-errors.ts";

/** Runs a synchronous statement, reporting its failures as the store's errors (sqlite-errors.ts). */
export function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw translated(error);
  }
}

export class SqliteStatements {
  protected readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  protected statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size > 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  allSync(sql: string, params: readonly SqlValue[] = []): SqlRow[] {
    return guarded(() => this.statement(sql).all(...params) as SqlRow[]);
  }

  runSync(sql: string, params: readonly SqlValue[] = []): number {
    return guarded(() => Number(this.statement(sql).run(...params).changes));
  }

  insertManySync(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly SqlValue[]>,
    options: InsertOptions = {},
  ): SqlValue[] {
    if (rows.length === 0) return [];
    const insert = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${valuesList(1, columns.length)}${conflictClause(table, options)}`;
    const returning = options.returning;
    // One prepared single-row statement run N times beats re-preparing N-row statements here.
    const out: SqlValue[] = [];
    // Returning a column we insert ourselves: run() and its change count say whether the row went
    // in (no triggers here), without RETURNING, which makes SQLite build a result row each time.
    const given = returning ? columns.indexOf(returning) : -1;
    if (!returning || given >= 0) {
      const statement = this.statement(insert);
      guarded(() => {
        for (const row of rows) {
          const changed = Number(statement.run(...row).changes) === 1;
          if (changed && returning) out.push(row[given] ?? null);
        }
      });
      return out;
    }
    const statement = this.statement(`${insert} RETURNING ${returning}`);
    guarded(() => {
      for (const row of rows) {
        const inserted = statement.get(...row) as SqlRow | undefined;
        if (inserted) out.push(inserted[returning] ?? null);
      }
    });
    return out;
  }

  insertAllSync(parts: readonly InsertPart[]): SqlValue[][] {
    return parts.map((part) => this.insertManySync(part.table, part.columns, part.rows, part));
  }
}

/** Executes directly on a connection whose lock the caller already holds (inside a transaction). */
export const unlocked = (inner: SqliteStatements): SqlExecutor => ({
  all: async (sql, params) => inner.allSync(sql, params),
  run: async (sql, params) => inner.runSync(sql, params),
  insertMany: async (table, columns, rows, options) => inner.insertManySync(table, columns, rows, options),
  insertAll: async (parts) => inner.insertAllSync(parts),
});
