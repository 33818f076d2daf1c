/**
 * What differs between the engines, one module per engine (sqlite/dialect.ts, postgres/dialect.ts)
 * with the same exports; stores ask `dialectOf(engine)` (dialects.ts) instead of branching on the
 * engine name. Each engine folder has the same file set behind its dialect: claim-due.ts,
 * finish-outcomes.ts, key-lookups.ts (and PostgreSQL row-locks.ts: SQLite takes no row locks).
 *
 * Queries off the hot path are built with Kysely, used as a typed builder and compiler only: a
 * compile-only Kysely (DummyDriver: it never connects) turns a built query into this engine's
 * {sql, parameters}, and query.ts runs them through our SqlDriver. One execution path thus keeps
 * the drivers' transactions, error mapping, durability options and the tests' statement recording,
 * with no second connection pool (Kysely's own SqliteDialect would also need a node:sqlite shim).
 * The hot paths (ingest, clicks, claims, outcomes) stay hand-written SQL, tuned per engine here.
 */
import { type DialectAdapter, DummyDriver, Kysely, type QueryCompiler, SqliteIntrospector } from "kysely";
import type { ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";
import type { Database } from "./database.ts";
import type { Pair } from "./key-batches.ts";
import type { SqlExecutor, SqlRow } from "./sql-driver.ts";

/** An endpoint a claim reads for, and how many of its rows it may take. */
export type Room = readonly [endpointId: number, room: number];

/** The key arrays of earnReads (LedgerTx.earnReads as unnest() takes them). */
export interface EarnReadArrays {
  /** program_id, operator_id, player_key of the keys to check. */
  readonly qualified: readonly [number[], number[], string[]];
  /** program_id, operator_id, player_key, player_id of the players whose history to read. */
  readonly history: readonly [number[], number[], string[], string[]];
  /** affiliate_id, program_id, period of the month usage rows to read. */
  readonly months: readonly [number[], number[], string[]];
  /** affiliate_id, program_id of the month locks to take, in order. */
  readonly locks: readonly [number[], number[]];
}

export interface SqlDialect {
  readonly engine: "sqlite" | "postgres";
  /**
   * Whether the ingest holds its ledger write back to send it with the outbox insert
   * (held-writes.ts): worth it where each statement is a round trip to a server.
   */
  readonly holdsWrites: boolean;
  /** Builds and compiles this engine's SQL (never executes: see query.ts). */
  readonly builder: Kysely<Database>;
  /**
   * Ends a SELECT whose rows the transaction goes on to change: PostgreSQL locks them until commit
   * (` FOR UPDATE`); a SQLite transaction already holds the only write lock ("").
   */
  readonly forUpdate: string;
  /** Locks these rows of `table` by id, in id order, until commit (PostgreSQL; SQLite: nothing). */
  lockIds(tx: SqlExecutor, table: string, ids: readonly string[]): Promise<void>;
  /**
   * Locks per (affiliate, program) until commit, in a fixed order so two batches cannot wait on
   * each other (ledger-tx.ts: caps read a month's usage, then write it). SQLite: nothing.
   */
  lockPairs(tx: SqlExecutor, keys: ReadonlyArray<{ affiliateId: number; programId: number }>): Promise<void>;
  /** Each endpoint's oldest free due rows (id, endpoint_id), up to its room and `limit` in all. */
  dueRows(tx: SqlExecutor, rooms: readonly Room[], request: ClaimRequest): Promise<SqlRow[]>;
  /**
   * The claim UPDATE's condition on `count` picked ids, whose parameters are those ids, then
   * FREE's (claim-free.ts). PostgreSQL skips rows another worker holds (SKIP LOCKED).
   */
  claimable(count: number): string;
  /** Outcomes of a batch of attempts, where this worker still holds the claim (delivery-finish.ts). */
  updateOutcomes(tx: SqlExecutor, items: readonly FinishItem[]): Promise<void>;
  /** Rows of `table` whose two `columns` match one of `keys` (duplicates dropped). */
  findByPairs(
    tx: SqlExecutor,
    table: string,
    columns: readonly [string, string],
    keys: readonly Pair[],
  ): Promise<SqlRow[]>;
  /**
   * What earning a batch reads, in one statement (postgres/earn-reads.ts). Left out where
   * statements are in-process and cheap (SQLite): ledger-tx.ts then runs the separate reads.
   */
  readonly earnReads?: (tx: SqlExecutor, arrays: EarnReadArrays) => Promise<Map<string, SqlRow[]>>;
  /**
   * The stored conversions (operator_id, txid) and players (operator_id, player_id) of a batch;
   * PostgreSQL also reads the `clicks` asked for in the same statement (SQLite: `clicks` undefined).
   */
  findKnown(
    tx: SqlExecutor,
    conversions: readonly Pair[],
    players: readonly Pair[],
    clicks: readonly string[],
  ): Promise<{ conversions: SqlRow[]; players: SqlRow[]; clicks?: SqlRow[] }>;
}

/** A Kysely that compiles for `adapter` and `compiler` and cannot run anything itself. */
export function compileOnly(adapter: DialectAdapter, compiler: () => QueryCompiler): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => adapter,
      createDriver: () => new DummyDriver(),
      // Never used (no schema introspection here); any introspector satisfies the interface.
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: compiler,
    },
  });
}
