/**
 * One tick of the background checkpointer (checkpointer.ts): PASSIVE checkpoint passes over the
 * newly appended WAL frames, then a RESTART once the WAL holds more than `restartBytes`. The worker
 * thread (checkpoint-worker.ts) runs it on its own connection every `intervalMs`; tests run it on a
 * connection of their own at the moments they choose, so what it does between two commits is
 * checked without depending on when a thread gets the CPU.
 */
import type { DatabaseSync } from "node:sqlite";

/** What a tick reports (the worker forwards it to its parent). */
export type CheckpointMessage =
  | {
      readonly kind: "checkpoint";
      readonly walFrames: number;
      readonly checkpointed: number;
      readonly ms: number;
    }
  | { readonly kind: "restart"; readonly busy: boolean; readonly ms: number }
  | { readonly kind: "error"; readonly message: string };

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

/** A row of `PRAGMA wal_checkpoint` (a type alias: node:sqlite rows are index signatures). */
type CheckpointRow = { readonly busy: number; readonly log: number; readonly checkpointed: number };

/**
 * A tick function over `db` (a connection of its own, in WAL mode). It never throws: an error is
 * reported as a message and the next tick tries again.
 */
export function createCheckpointTick(
  db: DatabaseSync,
  restartBytes: number,
  report: (message: CheckpointMessage) => void,
): () => void {
  const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");
  const dataVersion = db.prepare("PRAGMA data_version");
  const pageSize = Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);
  /** Frames of a WAL that is restarted: each frame holds one page (and a 24-byte header). */
  const restartFrames = Math.max(1, Math.floor(restartBytes / (pageSize + 24)));
  let lastLog = -1;

  /**
   * The passes alone cannot restart a WAL whose writer commits back to back, or faster than a pass
   * copies and syncs (about 1 ms): 3 to 4 thousand postbacks/s were enough for the WAL to reach
   * hundreds of MB again. So a WAL that holds more than `restartFrames` is restarted: a RESTART
   * checkpoint takes the write lock, copies the few frames the passes left, syncs, and makes the
   * next commit write from the start of the file. That lock is held for about a millisecond, once
   * per 32 MiB of WAL (a second or more at thousands of postbacks/s); a commit that meets it waits
   * in SQLite's busy handler (first retry after 1 ms). Restarting before the WAL reaches the 64 MiB
   * journal_size_limit keeps the file at a size it already has: commits never extend it.
   */
  /** data_version when the WAL was last restarted: it changes only when another connection commits. */
  let restartedAt = -1;
  const restartIfLarge = (frames: number): void => {
    const version = Number((dataVersion.get() as { data_version: number }).data_version);
    // Already restarted and no commit since: the WAL starts over with the next one.
    if (frames <= restartFrames || version === restartedAt) return;
    const started = performance.now();
    const row = restart.get() as CheckpointRow;
    lastLog = row.log;
    if (row.busy === 0) restartedAt = version;
    // busy: the writer or a reader kept the lock past the timeout; the next tick tries again.
    report({ kind: "restart", busy: row.busy !== 0, ms: performance.now() - started });
  };

  return () => {
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const started = performance.now();
        const row = checkpoint.get() as CheckpointRow;
        const moved = row.log !== lastLog || row.checkpointed !== row.log;
        if (moved) {
          report({
            kind: "checkpoint",
            walFrames: row.log,
            checkpointed: row.checkpointed,
            ms: performance.now() - started,
          });
        }
        lastLog = row.log;
        // Nothing appended since the previous pass, or a reader holds frames back: done for now.
        if (!moved || row.checkpointed !== row.log) break;
      }
      restartIfLarge(lastLog);
    } catch (error) {
      report({ kind: "error", message: (error as Error).message });
    }
  };
}
