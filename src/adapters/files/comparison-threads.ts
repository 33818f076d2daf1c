/**
 * Reconciliation comparisons in worker threads (comparison-worker.ts), one per upload. Parsing,
 * validating and comparing a million rows allocates at ~40 k rows/s; in the service's own heap
 * that grew the young and old generations by ~150 MB (bench/README.md, "Reconciliation at size").
 * A worker has its own heap, capped by `resourceLimits`, and its own database connection, and
 * leaves the service's heap and its GC settings (v8-tuning.ts) alone. One runs at a time by
 * default (SQLite has one writer, and each worker costs ~66 MB): the next upload, its file
 * received, waits for its turn.
 *
 * A comparison settles only once its worker has exited, so its connection is closed (and SQLite's
 * write lock released) before the run is finished or its rows deleted. A worker that fails (out
 * of its heap, an error) fails the run; `stop()` ends the ones still running at shutdown.
 */
import { Worker } from "node:worker_threads";
import type { Clock } from "../../app/ports.ts";
import type { CompareFile, Comparison } from "../../app/reconcile/compare-file.ts";
import { StorageUnavailableError } from "../../app/storage-errors.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { DriverOptions } from "../storage/open-driver.ts";
import type { ComparisonMessage, ComparisonWorkerData } from "./comparison-worker.ts";
import type { FileFormat } from "./event-file.ts";

export interface ComparisonThreads {
  /** The comparison of the spooled file at `path`, in a worker thread of its own. */
  comparer(path: string, format: FileFormat, maxBytes: number): CompareFile;
  /** Stops the comparisons still running or waiting (their runs fail) and waits until their workers have ended. */
  stop(): Promise<void>;
  /** Workers alive now (at most `maxRunning`). */
  running(): number;
}

export interface ComparisonThreadOptions {
  readonly databaseUrl: string;
  /** The worker's connection (SQLite: a small page cache; PostgreSQL: a pool of two). */
  readonly driver: DriverOptions;
  readonly clock: Clock;
  /** The worker's V8 heap: old generation and young generation, MB. */
  readonly heapMb?: { readonly old: number; readonly young: number };
  /** How long a stopped worker may take to finish its chunk and close its connection (default 5 s). */
  readonly stopGraceMs?: number;
  /** Comparisons at once (default 1); more wait their turn, their files already received. */
  readonly maxRunning?: number;
}

const WORKER_URL = new URL("./comparison-worker.ts", import.meta.url);
/**
 * What a comparison needs: its heap holds the code and a chunk of 2,000 rows (11–24 MB used at
 * 1 M rows). A young generation of 8 or 16 MB made the comparison no faster (bench/README.md,
 * "Reconciliation at size"); 48 MB of old generation leaves twice the room it uses.
 */
const HEAP_MB = { old: 48, young: 4 };
const STOP_GRACE_MS = 5000;

export function createComparisonThreads(options: ComparisonThreadOptions): ComparisonThreads {
  const running = new Map<Worker, Promise<void>>();
  const heap = options.heapMb ?? HEAP_MB;
  const maxRunning = options.maxRunning ?? 1;
  // Comparisons waiting for a worker: each told when its turn comes, or that the service stops.
  const waiting: Array<{ go: () => void; stop: () => void }> = [];
  let slots = 0;
  let stopping = false;
  const turn = (): Promise<void> => {
    if (slots < maxRunning) {
      slots++;
      return Promise.resolve();
    }
    return new Promise<void>((go, refuse) =>
      waiting.push({ go, stop: () => refuse(new Error("the service is stopping")) }),
    );
  };
  // A slot freed goes to the first comparison waiting, if any.
  const release = () => {
    const first = waiting.shift();
    if (first) first.go();
    else slots--;
  };
  return {
    running: () => running.size,
    comparer: (path, format, maxBytes) => async (run, mapping) => {
      if (stopping) throw new Error("the service is stopping");
      await turn();
      try {
        // Stopped while it waited for its turn.
        if (stopping) throw new Error("the service is stopping");
        const workerData: ComparisonWorkerData = {
          databaseUrl: options.databaseUrl,
          driver: options.driver,
          path,
          format,
          maxBytes,
          run,
          mapping,
          now: options.clock.now(),
        };
        const worker = new Worker(WORKER_URL, {
          workerData,
          resourceLimits: { maxOldGenerationSizeMb: heap.old, maxYoungGenerationSizeMb: heap.young },
        });
        let outcome: ComparisonMessage | undefined;
        worker.on("message", (message: ComparisonMessage) => {
          outcome = message;
        });
        // Out of its heap (ERR_WORKER_OUT_OF_MEMORY) or an uncaught error: the exit follows.
        worker.on("error", (error) => {
          outcome ??= { kind: "failed", message: `comparison worker: ${error.message}` };
        });
        const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
        running.set(
          worker,
          exited.then(() => undefined),
        );
        const code = await exited;
        running.delete(worker);
        return settle(outcome ?? { kind: "failed", message: `comparison worker exited with code ${code}` });
      } finally {
        release();
      }
    },
    async stop() {
      stopping = true;
      for (const waiter of waiting.splice(0)) waiter.stop();
      await Promise.all(
        [...running].map(async ([worker, ended]) => {
          worker.postMessage("stop");
          const timeout = setTimeout(() => void worker.terminate(), options.stopGraceMs ?? STOP_GRACE_MS);
          await ended;
          clearTimeout(timeout);
        }),
      );
    },
  };
}

function settle(outcome: ComparisonMessage): Comparison {
  if (outcome.kind === "done") return outcome.comparison;
  if (outcome.kind === "refused") throw new PostwireError(outcome.code, outcome.message, outcome.field);
  if (outcome.kind === "unavailable")
    throw new StorageUnavailableError(outcome.reason, undefined, outcome.commitUnknown);
  // The service logs a 500 with its error: the worker's stack says where it failed.
  const failed = new Error(outcome.message);
  if (outcome.stack) failed.stack = outcome.stack;
  throw failed;
}
