/**
 * Writes held back to ride with the transaction's next write (PostgreSQL: insertAll makes several
 * tables' inserts one statement, so the ledger write of an ingest batch and its outbox insert cost
 * one round trip, not two). Held parts go first, in the order held, so the statement takes its row
 * locks in the order separate statements did. Whatever goes through `executor` sees the held
 * writes: a read or write on it sends them first. Reads that cannot depend on them (clicks,
 * endpoints) may use the transaction directly. `flush()` sends what is left before COMMIT.
 */
import type { InsertPart, SqlExecutor, SqlValue } from "./sql-driver.ts";

interface Held {
  readonly parts: readonly InsertPart[];
  /** Called with the parts' `returning` lists once written; may throw to roll the transaction back. */
  readonly settle: (results: SqlValue[][]) => void;
}

export class HeldWrites {
  private held: Held[] = [];
  private readonly db: SqlExecutor;
  readonly executor: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.db = db;
    this.executor = {
      all: async (sql, params) => {
        await this.flush();
        return db.all(sql, params);
      },
      run: async (sql, params) => {
        await this.flush();
        return db.run(sql, params);
      },
      insertMany: async (table, columns, rows, options = {}) =>
        rows.length ? (await this.send([{ table, columns, rows, ...options }]))[0]! : [],
      insertAll: (parts) => this.send(parts),
    };
  }

  hold(parts: readonly InsertPart[], settle: Held["settle"]): void {
    this.held.push({ parts, settle });
  }

  flush(): Promise<void> {
    return this.send([]).then(() => undefined);
  }

  /** `parts` after every held part, in one insertAll; settles the held ones, returns the rest. */
  private async send(parts: readonly InsertPart[]): Promise<SqlValue[][]> {
    const held = this.held;
    if (!held.length) return this.db.insertAll(parts);
    this.held = [];
    const results = await this.db.insertAll([...held.flatMap((h) => h.parts), ...parts]);
    let at = 0;
    for (const h of held) {
      h.settle(results.slice(at, at + h.parts.length));
      at += h.parts.length;
    }
    return results.slice(at);
  }
}
