/**
 * What bench/server.ts observes inside the service, through the drivers' prototypes (nothing in
 * src/ knows about it):
 * - the service's own database connections, to read durability settings on them (`PRAGMA
 *   synchronous` is per connection, `synchronous_commit` may be set per session);
 * - committed transactions, to report the group-commit batch size;
 * - fsyncs of the SQLite WAL, to check that a commit made with `synchronous=NORMAL` is still synced
 *   before it is acknowledged (the service may sync the WAL itself, off the event loop, which is
 *   what `synchronous=FULL` does in WAL mode).
 */
import fs from "node:fs";
import { open } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { PerformanceObserver } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";

const sqliteConnections = new Set<DatabaseSync>();
/** Connections whose COMMIT syncs the WAL itself (synchronous=FULL or EXTRA). */
const fullSync = new WeakSet<DatabaseSync>();
const pools = new Set<pg.Pool>();

/** Transactions committed (both engines) since start or the last reset. */
let commits = 0;
export function resetCommits(): void {
  commits = 0;
  durableMs = [];
  gcPauses = [];
}

/** Garbage-collection pauses of the event loop (ms) since start or the last reset. */
let gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push(entry.duration);
}).observe({ entryTypes: ["gc"] });

/** While tracing: "commit", "sync-start", "sync-end" (WAL syncs only), in the order they happen. */
let trace: string[] | undefined;

const exec = DatabaseSync.prototype.exec;
DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
  sqliteConnections.add(this);
  if (sql !== "COMMIT") return exec.call(this, sql);
  const started = performance.now();
  const result = exec.call(this, sql);
  commits++;
  trace?.push("commit");
  // With synchronous=FULL the WAL sync happens inside COMMIT; with NORMAL this is only the write.
  if (fullSync.has(this)) durableMs.push(performance.now() - started);
  return result;
};

/** PostgreSQL clients between BEGIN and COMMIT/ROLLBACK. */
const inTransaction = new WeakSet<pg.Client>();
const WRITE = /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i;
const textOf = (query: unknown): string =>
  typeof query === "string" ? query : String((query as { text?: unknown } | null)?.text ?? "");

const clientQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = textOf(args[0]);
  if (text === "BEGIN") inTransaction.add(this);
  else if (text === "COMMIT" || text === "ROLLBACK") inTransaction.delete(this);
  // A COMMIT, or a write outside BEGIN…COMMIT: one statement that commits by itself.
  const commit = text === "COMMIT" || (!inTransaction.has(this) && WRITE.test(text));
  if (!commit) return clientQuery.apply(this, args);
  commits++;
  const started = performance.now();
  const result = clientQuery.apply(this, args);
  if (result instanceof Promise) {
    result.then(
      () => durableMs.push(performance.now() - started),
      () => undefined,
    );
  }
  return result;
} as typeof pg.Client.prototype.query;

const connect = pg.Pool.prototype.connect as (this: pg.Pool, ...args: unknown[]) => unknown;
pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
  pools.add(this);
  return connect.apply(this, args);
} as typeof pg.Pool.prototype.connect;

const isWal = (fd: number): boolean => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith("-wal");
  } catch {
    return false;
  }
};

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * How long each durable step took (ms) since start or the last reset: the WAL sync (SQLite, when
 * the service syncs the WAL itself), COMMIT (SQLite with synchronous=FULL, where the sync happens
 * inside it), or the COMMIT round trip (PostgreSQL; for a write outside BEGIN…COMMIT, which
 * commits by itself, the whole statement).
 */
let durableMs: number[] = [];
const walHandles = new WeakMap<object, boolean>();

/** Wraps an fd-based sync (callback or promise style): WAL syncs are timed and traced. */
function traced(original: Fn, fdOf: (self: unknown, args: unknown[]) => number): Fn {
  return function (this: unknown, ...args: unknown[]) {
    // FileHandles are asked once; plain fds every time (they may be reused for other files).
    const self = typeof this === "object" && this !== null ? this : undefined;
    let wal = self ? walHandles.get(self) : undefined;
    if (wal === undefined) {
      wal = isWal(fdOf(this, args));
      if (self) walHandles.set(self, wal);
    }
    if (!wal) return original.apply(this, args);
    const started = performance.now();
    trace?.push("sync-start");
    const done = () => {
      durableMs.push(performance.now() - started);
      trace?.push("sync-end");
    };
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (...results: unknown[]) => {
        done();
        return (last as Fn).apply(undefined, results);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result instanceof Promise) return result.finally(done);
    done();
    return result;
  };
}

/** Commits, durable-step times and GC pauses since the last reset: what the server prints as bench-stats. */
export function commitStats(): {
  commits: number;
  durableMs: { n: number; p50: number; p99: number; max: number };
  gcMs: { n: number; total: number; max: number };
} {
  const sorted = Float64Array.from(durableMs).sort();
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  const gcTotal = gcPauses.reduce((sum, ms) => sum + ms, 0);
  return {
    commits,
    durableMs: { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) },
    gcMs: { n: gcPauses.length, total: gcTotal, max: gcPauses.length ? Math.max(...gcPauses) : 0 },
  };
}

const handle = await open(process.execPath, "r");
const FileHandle = Object.getPrototypeOf(handle) as Record<string, Fn>;
await handle.close();
for (const name of ["datasync", "sync"]) {
  FileHandle[name] = traced(FileHandle[name]!, (self) => (self as { fd: number }).fd);
}
const fsFunctions = fs as unknown as Record<string, Fn>;
for (const name of ["fdatasync", "fsync", "fdatasyncSync", "fsyncSync"]) {
  fsFunctions[name] = traced(fsFunctions[name]!, (_self, args) => args[0] as number);
}
syncBuiltinESMExports();

/**
 * Runs `request` (one write through the service) and tells whether a WAL sync started after its
 * commit and finished before its answer.
 */
export async function walSyncedBeforeAnswer(request: () => Promise<unknown>): Promise<boolean> {
  trace = [];
  try {
    await request();
    const events = trace;
    const commit = events.indexOf("commit");
    const start = events.indexOf("sync-start", commit + 1);
    return commit !== -1 && start !== -1 && events.indexOf("sync-end", start + 1) !== -1;
  } finally {
    trace = undefined;
  }
}

const SQLITE_SYNCHRONOUS = ["OFF", "NORMAL", "FULL", "EXTRA"];

/** Durability settings as read on the service's own connections. */
export async function durabilitySettings(engine: "sqlite" | "postgres"): Promise<Record<string, string>> {
  if (engine === "sqlite") {
    // The service's own connection: one opened and closed before it (BENCH_ROLLUPS=off) is not.
    const db = [...sqliteConnections].find((connection) => connection.isOpen);
    if (!db) throw new Error("the service opened no SQLite connection we could see");
    const level = Number(db.prepare("PRAGMA synchronous").get()?.["synchronous"]);
    if (level >= 2) fullSync.add(db);
    const journal = String(db.prepare("PRAGMA journal_mode").get()?.["journal_mode"]);
    return { synchronous: SQLITE_SYNCHRONOUS[level] ?? String(level), journal_mode: journal };
  }
  const pool = [...pools].find((p) => !p.ended);
  if (!pool) throw new Error("the service opened no PostgreSQL pool we could see");
  const show = async (name: string) => String((await pool.query(`SHOW ${name}`)).rows[0]?.[name] ?? "?");
  return {
    synchronous_commit: await show("synchronous_commit"),
    fsync: await show("fsync"),
    wal_sync_method: await show("wal_sync_method"),
  };
}
