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

const tick = () => {
  try {
    const started = performance.now();
    const row = checkpoint.get() as { busy: number; log: number; checkpointed: number };
    if (row.log !== lastLog || row.checkpointed !== row.log) {
      const message: CheckpointMessage = {
        kind: "checkpoint",
        walFrames: row.log,
        checkpointed: row.checkpointed,
        ms: performance.now() - started,
      };
      port.postMessage(message);
    }
    lastLog = row.log;
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
