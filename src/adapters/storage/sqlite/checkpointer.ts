/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside the COMMIT that pushes
 * the WAL past 1000 pages: that commit copies megabytes into the database file and syncs it on the
 * thread that serves requests, and every request waiting behind it stalls (tens of milliseconds at
 * high write rates). Instead the service's connection runs with `wal_autocheckpoint = 0` and a
 * worker thread with its own connection checkpoints every few hundred milliseconds in PASSIVE mode,
 * which runs alongside the writer. Durability is unchanged: commits are durable in the WAL;
 * checkpoints only move them into the database file.
 *
 * If the worker fails, `onFailure` is called once so the connection can go back to SQLite's own
 * checkpoints; nothing is lost either way.
 */
import { Worker } from "node:worker_threads";
import type { CheckpointMessage } from "./checkpoint-tick.ts";
import type { CheckpointWorkerData } from "./checkpoint-worker.ts";

export interface CheckpointerOptions {
  readonly intervalMs: number;
  /** Restart the WAL once it holds this many bytes (checkpoint-worker.ts). */
  readonly restartBytes: number;
  /** The worker stopped unexpectedly (error or exit): called once, with the reason. */
  readonly onFailure: (reason: string) => void;
}

export interface CheckpointStats {
  /** Checkpoints that moved frames, and the slowest checkpoint or restart (ms, in the worker). */
  readonly checkpoints: number;
  readonly slowestMs: number;
  /** WAL restarts done, and those skipped because the lock stayed busy. */
  readonly restarts: number;
  readonly restartsBusy: number;
  readonly lastError: string | null;
}

export interface Checkpointer {
  readonly stats: () => CheckpointStats;
  /** Runs a last checkpoint and ends the worker. */
  stop(): Promise<void>;
  /** Resolves once the worker has ended, stopped or failed (its failure, if any, reported first). */
  readonly ended: Promise<void>;
}

/** Counts what the checkpoint ticks report (checkpoint-tick.ts), as `stats()` shows it. */
export function createCheckpointTally(): {
  observe(message: CheckpointMessage): void;
  stats(): CheckpointStats;
} {
  let checkpoints = 0;
  let slowestMs = 0;
  let restarts = 0;
  let restartsBusy = 0;
  let lastError: string | null = null;
  return {
    observe(message) {
      if (message.kind === "error") {
        lastError = message.message;
        return;
      }
      if (message.kind === "restart") {
        if (message.busy) restartsBusy++;
        else restarts++;
      } else if (message.checkpointed > 0) checkpoints++;
      slowestMs = Math.max(slowestMs, message.ms);
    },
    stats: () => ({ checkpoints, slowestMs, restarts, restartsBusy, lastError }),
  };
}

const WORKER_URL = new URL("./checkpoint-worker.ts", import.meta.url);

export function startCheckpointer(file: string, options: CheckpointerOptions): Checkpointer {
  const workerData: CheckpointWorkerData = {
    file,
    intervalMs: options.intervalMs,
    restartBytes: options.restartBytes,
  };
  const worker = new Worker(WORKER_URL, { workerData });
  // The worker must never keep the process alive on its own.
  worker.unref();
  let stopping = false;
  let failed = false;
  const tally = createCheckpointTally();
  const fail = (reason: string) => {
    if (stopping || failed) return;
    failed = true;
    options.onFailure(reason);
  };
  worker.on("message", tally.observe);
  worker.on("error", (error) => fail(error.message));
  worker.on("exit", (code) => fail(`checkpoint worker exited with code ${code}`));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    stats: tally.stats,
    ended: exited,
    async stop() {
      if (stopping) return exited;
      stopping = true;
      if (!failed) worker.postMessage("stop");
      // A worker stuck in a checkpoint is ended after a grace period rather than awaited forever.
      const timeout = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
