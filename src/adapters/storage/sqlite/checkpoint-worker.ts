/**
 * Runs in a worker thread (checkpointer.ts): its own connection to the database file, running a
 * checkpoint tick (checkpoint-tick.ts) every `intervalMs`: PASSIVE passes, which never block the
 * service's writer or readers, and a RESTART once the WAL holds `restartBytes`. Reports each
 * checkpoint that moved frames, each restart, and any error, to the parent.
 */
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { createCheckpointTick } from "./checkpoint-tick.ts";

export interface CheckpointWorkerData {
  readonly file: string;
  readonly intervalMs: number;
  /** A WAL holding more than this many bytes of frames is restarted (RESTART checkpoint). */
  readonly restartBytes: number;
}

const { file, intervalMs, restartBytes } = workerData as CheckpointWorkerData;
const port = parentPort!;
const db = new DatabaseSync(file, { timeout: 1000 });
// The checkpoint syncs the database file with this connection's setting: keep it durable.
db.exec("PRAGMA synchronous = FULL");
const tick = createCheckpointTick(db, restartBytes, (message) => port.postMessage(message));

const timer = setInterval(tick, intervalMs);
port.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  tick();
  db.close();
  port.close();
});
