/**
 * The processes of `postwire serve`: starting once the database is up, and one process per core on
 * one host (`postwire serve --workers N`). There the primary forks N workers with node:cluster;
 * they share the listening socket (the primary hands out connections), each runs the whole service
 * on its own pool of PostgreSQL connections. The primary serves nothing
 * itself. It forwards SIGTERM/SIGINT to every worker, each of which drains as a single process
 * does, and exits once all have (1 if any failed or the drain outlasted `stopTimeoutMs`). A worker
 * that dies otherwise is started again, after a pause that grows while workers keep dying young.
 */
import cluster, { type Worker } from "node:cluster";
import { setTimeout as delay } from "node:timers/promises";
import { StorageUnavailableError } from "../app/storage-errors.ts";

/** How the primary reports (JSON lines like the workers' pino logs). */
export type PrimaryLog = (level: "info" | "warn" | "error", message: string, fields?: object) => void;

export interface SuperviseOptions {
  readonly workers: number;
  /** After a stop signal, how long the workers may take to drain before they are killed. */
  readonly stopTimeoutMs: number;
  readonly log: PrimaryLog;
  /** Environment for the workers (e.g. which configuration they load). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A worker that lived less than this died young: the next restart waits longer. */
const YOUNG_MS = 10_000;
const RESTART_MAX_MS = 30_000;

/** Runs in the primary until the workers are stopped; resolves with the exit code. */
export function superviseWorkers(options: SuperviseOptions): Promise<number> {
  let stopping = false;
  let failed = false;
  let youngDeaths = 0;
  const started = new Map<Worker, number>();

  const fork = () => {
    const worker = cluster.fork(options.env);
    started.set(worker, performance.now());
  };

  return new Promise<number>((resolve) => {
    const finishIfDone = () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0);
    };
    cluster.on("exit", (worker, code, signal) => {
      const lived = performance.now() - (started.get(worker) ?? 0);
      started.delete(worker);
      if (stopping) {
        if (code !== 0) failed = true;
        finishIfDone();
        return;
      }
      youngDeaths = lived < YOUNG_MS ? youngDeaths + 1 : 0;
      const wait = Math.min(RESTART_MAX_MS, youngDeaths === 0 ? 0 : 1000 * 2 ** (youngDeaths - 1));
      options.log("error", "worker exited; starting another", {
        worker: worker.process.pid,
        code,
        signal,
        restartInMs: wait,
      });
      setTimeout(() => {
        if (!stopping) fork();
      }, wait).unref();
    });
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      options.log("info", "stopping workers: each drains its in-flight requests", {
        signal,
        workers: Object.keys(cluster.workers ?? {}).length,
      });
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
      setTimeout(() => {
        options.log("error", "workers did not stop in time; killing them");
        failed = true;
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
      }, options.stopTimeoutMs).unref();
      finishIfDone();
    };
    // `on`, not `once`: a second Ctrl-C must not kill the primary before its workers have drained.
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    for (let i = 0; i < options.workers; i++) fork();
    options.log("info", "postwire workers started", { workers: options.workers, primary: process.pid });
  });
}

/**
 * Starts with `start`, trying again while the database is unavailable (backing off up to 30 s), so
 * a service started before its database comes up by itself. A stop signal meanwhile exits.
 */
export async function startWhenDatabaseIsUp<T>(start: () => Promise<T>, log: PrimaryLog): Promise<T> {
  const quit = () => process.exit(0);
  process.once("SIGTERM", quit);
  process.once("SIGINT", quit);
  try {
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30_000)) {
      try {
        return await start();
      } catch (error) {
        if (!(error instanceof StorageUnavailableError)) throw error;
        log("warn", "the database is unavailable at start; trying again", {
          reason: error.reason,
          retryInMs: wait,
        });
        await delay(wait);
      }
    }
  } finally {
    process.off("SIGTERM", quit);
    process.off("SIGINT", quit);
  }
}

/** JSON log lines for the primary, in the workers' (pino) shape. */
export function primaryLog(write: (line: string) => void = (line) => process.stdout.write(line)): PrimaryLog {
  const levels = { info: 30, warn: 40, error: 50 } as const;
  return (level, message, fields = {}) =>
    write(
      `${JSON.stringify({ level: levels[level], time: Date.now(), pid: process.pid, role: "primary", ...fields, msg: message })}\n`,
    );
}
