/**
 * Runs in a worker thread (checkpointer.ts): its own connection to the database file, checkpointing
 * the WAL every `intervalMs` in PASSIVE mode, which never blocks the service's writer or readers.
 * Reports each checkpoint that moved frames, and any error, to the parent.
 */
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";

export interface CheckpointWorkerData {
  readonly file: string;
  readonly intervalMs: number;
}

/** What the worker tells its parent. */
export type CheckpointMessage =
  | {
      readonly kind: "checkpoint";
      readonly walFrames: number;
      readonly checkpointed: number;
      readonly ms: number;
    }
  | { readonly kind: "error"; readonly message: string };

const { file, intervalMs } = workerData as CheckpointWorkerData;
const port = parentPort!;
const db = new DatabaseSync(file, { timeout: 1000 });
// The checkpoint syncs the database file with this connection's setting: keep it durable.
db.exec("PRAGMA synchronous = FULL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");

let lastLog = -1;

/**
 * Passes per tick, at most. A writer that commits every few milliseconds appends frames while a
 * checkpoint copies the earlier ones, so a single pass almost never leaves the WAL fully copied.
 * SQLite restarts the WAL from its beginning only when the next write finds it fully copied;
 * otherwise the file grows for as long as the writes go on (hundreds of MB in seconds at a few
 * thousand postbacks/s). Every commit then extends the file, and its sync has to wait for the
 * file system to write out the checkpoint's own database pages first: commits of 70–130 ms
 * where 1 ms is usual. So each tick repeats short passes over the newly appended frames until
 * one finds none. Those passes copy a few pages each and fit between two commits.
 */
const MAX_PASSES = 8;

const tick = () => {
  try {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const started = performance.now();
      const row = checkpoint.get() as { busy: number; log: number; checkpointed: number };
      const moved = row.log !== lastLog || row.checkpointed !== row.log;
      if (moved) {
        const message: CheckpointMessage = {
          kind: "checkpoint",
          walFrames: row.log,
          checkpointed: row.checkpointed,
          ms: performance.now() - started,
        };
        port.postMessage(message);
      }
      lastLog = row.log;
      // Nothing appended since the previous pass, or a reader holds frames back: done for now.
      if (!moved || row.checkpointed !== row.log) break;
    }
  } catch (error) {
    port.postMessage({ kind: "error", message: (error as Error).message } satisfies CheckpointMessage);
  }
};

const timer = setInterval(tick, intervalMs);
port.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  tick();
  db.close();
  port.close();
});
