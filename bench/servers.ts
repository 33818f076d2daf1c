/**
 * The servers a measurement runs against, one fresh process each: the bare server, or Postwire
 * (bench/server.ts) on a fresh database; pinned to the server core; stopped (and the database
 * dropped) once. Also the signals the runner sends them: reset the commit counter (SIGHUP), start
 * and stop a CPU profile (SIGUSR2).
 */
import { readdirSync, renameSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BenchDatabase, createDatabase, type Engine } from "./databases.ts";
import { type Started, startPinned, stopChild } from "./processes.ts";
import type { ServerInfo } from "./server.ts";

/** What starting a server needs to know. */
export interface ServerSettings {
  readonly serverCore: number;
  /** Folder holding server.ts (bench/, or a snapshot of bench/ beside a copy of src/). */
  readonly benchDir: string;
  /** When set, the server may be CPU-profiled; profiles are written here. */
  readonly profileDir?: string | undefined;
}

/** A running server of a variant, with its database. */
export interface Running {
  readonly server: Started<ServerInfo>;
  readonly db: BenchDatabase | undefined;
  readonly profileDir?: string | undefined;
  stopping?: Promise<CommitStats | undefined>;
}

export async function startServer(
  engine: Engine | undefined,
  settings: ServerSettings,
  receiverUrl?: string,
  rollups?: false,
): Promise<Running> {
  if (!engine) {
    const server = await startPinned<ServerInfo>(
      settings.serverCore,
      [process.execPath, path.join(settings.benchDir, "bare-server.ts")],
      process.env,
    );
    return { server, db: undefined };
  }
  const db = await createDatabase(engine);
  try {
    // The runner's environment passes through (BATCH_MAX, PG_POOL_SIZE… for experiments).
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: "silent" };
    if (settings.profileDir) env["BENCH_CPU_PROFILE_DIR"] = settings.profileDir;
    // The full pipeline: bench/server.ts adds the preset plan and an endpoint at this receiver.
    if (receiverUrl) env["BENCH_RECEIVER_URL"] = receiverUrl;
    if (rollups === false) env["BENCH_ROLLUPS"] = "off";
    const server = await startPinned<ServerInfo>(
      settings.serverCore,
      [process.execPath, path.join(settings.benchDir, "server.ts")],
      env,
    );
    return { server, db, profileDir: settings.profileDir };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** What a Postwire server counted since the last reset (bench-stats; see instrument.ts). */
export interface CommitStats {
  readonly commits: number;
  /** Durations of the durable step (WAL sync, or COMMIT), ms. */
  readonly durableMs: {
    readonly n: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Garbage-collection pauses: how many, their sum and the longest, ms. */
  readonly gcMs?: { readonly n: number; readonly total: number; readonly max: number };
}

/** Stops the server (once) and drops its database; returns what it counted, if anything. */
export async function stopServer(running: Running): Promise<CommitStats | undefined> {
  running.stopping ??= (async () => {
    await stopChild(running.server.child);
    await running.db?.drop();
    const line = running.server
      .stderr()
      .split("\n")
      .findLast((l) => l.startsWith("bench-stats "));
    return line ? (JSON.parse(line.slice("bench-stats ".length)) as CommitStats) : undefined;
  })();
  return running.stopping;
}

/** Postwire servers count commits and time durable steps from here on (SIGHUP resets them). */
export function resetCommitCount(running: Running): void {
  if (running.db) running.server.child.kill("SIGHUP");
}

/** Durable-commit settings as the server read them; a problem when they are not fsync-durable. */
export function durabilityProblems(
  engine: Engine | undefined,
  d: Readonly<Record<string, string>>,
): string[] {
  if (engine === "sqlite") {
    // FULL syncs the WAL inside COMMIT; NORMAL is equivalent only if the service syncs it itself
    // before answering, which server.ts watched on its first click.
    const full = ["FULL", "EXTRA"].includes(d["synchronous"] ?? "");
    if (!full && d["wal_synced_before_answer"] !== "yes") {
      return [`SQLite synchronous=${d["synchronous"]} and no WAL sync seen before the answer`];
    }
    return [];
  }
  if (engine === "postgres") {
    const problems: string[] = [];
    if (!["on", "remote_write", "remote_apply"].includes(d["synchronous_commit"] ?? "")) {
      problems.push(`PostgreSQL synchronous_commit=${d["synchronous_commit"]}`);
    }
    if (d["fsync"] !== "on") problems.push(`PostgreSQL fsync=${d["fsync"]}`);
    return problems;
  }
  return [];
}

/**
 * Starts the server's CPU profiler, or (with `name`) stops it and waits for the profile, which is
 * renamed to `name`.cpuprofile; returns its path.
 */
export async function toggleProfiler(running: Running, name?: string): Promise<string | undefined> {
  const { child, info } = running.server;
  const dir = running.profileDir!;
  const before = new Set(readdirSync(dir));
  child.kill("SIGUSR2");
  if (!name) {
    await sleep(100);
    return undefined;
  }
  for (let i = 0; i < 300; i++) {
    await sleep(100);
    const written = readdirSync(dir).find(
      (f) => !before.has(f) && f.startsWith(`${info.pid}-`) && f.endsWith(".cpuprofile"),
    );
    if (written) {
      const target = path.join(dir, `${name}.cpuprofile`);
      renameSync(path.join(dir, written), target);
      return target;
    }
  }
  throw new Error(`no CPU profile from server ${info.pid}`);
}
