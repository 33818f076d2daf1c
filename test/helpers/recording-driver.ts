/**
 * A SQL driver that records every statement run through it (with its first parameters), in and out
 * of transactions, and the query plans of those statements on either engine: the query-plan test
 * drives the store through everything the service does and checks each plan.
 */
import type {
  InsertOptions,
  SqlDriver,
  SqlExecutor,
  SqlValue,
} from "../../src/adapters/storage/sql-driver.ts";

export interface Recorded {
  readonly sql: string;
  readonly params: readonly SqlValue[];
  /** What ran it: a request (postback, click, API read) or a background job. */
  readonly by: "request" | "job";
}

/** What a recording driver saw, keyed by statement text, and what runs statements now. */
export interface Recording {
  readonly seen: Map<string, Recorded>;
  by: "request" | "job";
  /** When given, every statement run, in order, repeats included (to count round trips). */
  readonly ran?: string[];
}

function recording(inner: SqlExecutor, into: Recording): SqlExecutor {
  const note = (sql: string, params: readonly SqlValue[] = []) => {
    into.ran?.push(sql);
    if (!into.seen.has(sql)) into.seen.set(sql, { sql, params, by: into.by });
  };
  return {
    all(sql, params) {
      note(sql, params);
      return inner.all(sql, params);
    },
    run(sql, params) {
      note(sql, params);
      return inner.run(sql, params);
    },
    insertMany: (table, columns, rows, options?: InsertOptions) =>
      inner.insertMany(table, columns, rows, options),
    insertAll: (parts) => inner.insertAll(parts),
  };
}

/** `driver`, recording what runs through it into `into`. */
export function recordingDriver(driver: SqlDriver, into: Recording): SqlDriver {
  const outer = recording(driver, into);
  return {
    ...outer,
    engine: driver.engine,
    transaction: (work) => driver.transaction((tx) => work(recording(tx, into))),
    migrate: () => driver.migrate(),
    checkWritable: () => driver.checkWritable(),
    close: () => driver.close(),
  };
}

/** One plan step that reads more of a table than it should, as `table`. */
export interface FullScan {
  readonly table: string;
  /** Rows the step read (PostgreSQL), or undefined for a table scan found in the plan. */
  readonly rows?: number;
  readonly plan: string;
}

/** Rolls a transaction back after reading a plan that ran the statement (EXPLAIN ANALYZE). */
class RolledBack extends Error {
  readonly value: FullScan[];
  constructor(value: FullScan[]) {
    super("rolled back");
    this.value = value;
  }
}

/**
 * Where `statement` reads a table without a selective index. SQLite: `SCAN t` steps of EXPLAIN
 * QUERY PLAN (`SCAN t USING INDEX …` walks an index and is not one). PostgreSQL: the statement is
 * run under EXPLAIN ANALYZE with sequential scans disabled (so any usable index is taken, whatever
 * the statistics), in a transaction rolled back after; every scan node that read more than
 * `maxRows` rows (returned or removed by a filter, over all loops) is reported: an index that
 * matches only a prefix of the conditions reads the many rows it shares with others.
 */
export async function fullScans(
  driver: SqlDriver,
  statement: Recorded,
  maxRows: number,
): Promise<FullScan[]> {
  if (driver.engine === "sqlite") {
    const rows = await driver.all(`EXPLAIN QUERY PLAN ${statement.sql}`, statement.params);
    const plan = rows.map((r) => String(r["detail"])).join(" | ");
    return rows
      .map((r) => /^SCAN (\w+)$/.exec(String(r["detail"]))?.[1])
      .filter((table): table is string => table !== undefined)
      .map((table) => ({ table, plan }));
  }
  try {
    await driver.transaction(async (tx) => {
      await tx.run("SET LOCAL enable_seqscan = off");
      const [row] = await tx.all(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.sql}`, statement.params);
      const raw = row!["QUERY PLAN"] as unknown;
      const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      const plan = JSON.stringify(parsed);
      const found: FullScan[] = [];
      const walk = (node: PlanNode) => {
        const table = node["Relation Name"];
        if (table && /Scan/.test(node["Node Type"])) {
          const read =
            ((node["Actual Rows"] ?? 0) +
              (node["Rows Removed by Filter"] ?? 0) +
              (node["Rows Removed by Index Recheck"] ?? 0)) *
            (node["Actual Loops"] ?? 1);
          if (node["Node Type"] === "Seq Scan" || read > maxRows) found.push({ table, rows: read, plan });
        }
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(parsed[0]!.Plan);
      throw new RolledBack(found);
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.value;
    throw error;
  }
  return [];
}

interface PlanNode {
  readonly "Node Type": string;
  readonly "Relation Name"?: string;
  readonly "Actual Rows"?: number;
  readonly "Actual Loops"?: number;
  readonly "Rows Removed by Filter"?: number;
  readonly "Rows Removed by Index Recheck"?: number;
  readonly Plans?: readonly PlanNode[];
}
