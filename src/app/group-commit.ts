/**
 * Group commit: work submitted during one event-loop turn is flushed together, so concurrent
 * requests share one durable commit (one fsync) instead of paying one each. Every submitter
 * learns its own outcome only after the flush has committed. A flush that fails on one item's
 * data (`UnstorableDataError`) is retried in halves, so only the items at fault fail: nobody's
 * request fails for another's input. The ingest and click paths and the dispatcher's outcomes
 * (adapters/delivery/finish-batcher.ts) all commit through it.
 */
import { UnstorableDataError } from "./storage-errors.ts";

/** A whole batch tried again after a transient error (a database away for a few seconds). */
interface BatchRetry {
  /** Waits before each retry; past the last, the batch fails. */
  readonly delaysMs: readonly number[];
  /** Whether an error is worth waiting out. */
  readonly when: (error: unknown) => boolean;
  /** Told of each failed try that will be retried (for the log). */
  readonly onRetry?: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Largest batch handed to one flush. */
  readonly maxBatch: number;
  /** Flushes allowed to run at once (1 for SQLite; a few for a PostgreSQL pool). */
  readonly concurrency: number;
  /** Submissions waiting beyond this are refused at once (backpressure → 429). */
  readonly maxPending: number;
  /**
   * A flush starts no sooner than this many ms after the previous one started (0: at once). Under
   * load, each commit then carries more items; an isolated submission waits for nothing. A hold
   * that gathers nothing (every submitter is waiting for this very flush, as with a few clients
   * that send one request at a time) is not repeated: the next holds are skipped, and only one in
   * `PROBE_EVERY` holds again to see whether waiting pays off again.
   */
  readonly minIntervalMs?: number;
  /**
   * Event-loop turns a submission waits for others before a flush starts (default 1: the turn it
   * was made in). 2 also gathers what arrives in the next turn, e.g. the answers read while a
   * synchronous SQLite commit held the loop.
   */
  readonly gatherTurns?: 1 | 2;
  /** Batches retried on a transient error (default: none, the error fails the batch at once). */
  readonly retry?: BatchRetry;
  /** Told of each flush's size as it starts (metrics). */
  readonly onFlush?: (size: number) => void;
}

/** After a hold that gathered nothing, one would-be hold in this many holds again (a probe). */
export const PROBE_EVERY = 16;

export class OverloadedError extends Error {
  constructor() {
    super("too many submissions pending");
    this.name = "OverloadedError";
  }
}

interface Pending<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface GroupCommitter<T, R> {
  submit(item: T): Promise<R>;
  /** Resolves once everything submitted so far has been flushed. */
  drain(): Promise<void>;
  /** Items submitted and not yet settled (queued or in a running flush). */
  readonly pending: number;
}

/**
 * `flush` must return one result per item, in order, and write nothing when it throws. If it
 * throws, every item of the batch fails, except on `UnstorableDataError`: then each half of the
 * batch is flushed again on its own (down to single items).
 * `now` is the clock of the pacing (monotonic ms); tests pass one they control, with the timers.
 */
export function createGroupCommitter<T, R>(
  flush: (items: T[]) => Promise<R[]>,
  options: GroupCommitOptions,
  now: () => number = () => performance.now(),
): GroupCommitter<T, R> {
  let queue: Pending<T, R>[] = [];
  let running = 0;
  let inFlight = 0;
  let scheduled = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let paced: ReturnType<typeof setTimeout> | undefined;
  const minInterval = options.minIntervalMs ?? 0;
  /** Queue length and time when the current hold began (-1: none); holds still to skip. */
  let heldFrom = -1;
  let heldSince = 0;
  let skipHolds = 0;
  let idle: Array<() => void> = [];

  const settleIdle = () => {
    if (running === 0 && queue.length === 0) {
      const waiters = idle;
      idle = [];
      for (const wake of waiters) wake();
    }
  };

  const flushRetrying = async (items: T[]): Promise<R[]> => {
    const retry = options.retry;
    for (let tries = 0; ; tries++) {
      try {
        return await flush(items);
      } catch (error) {
        if (!retry || tries >= retry.delaysMs.length || !retry.when(error)) throw error;
        retry.onRetry?.(error);
        await new Promise((wake) => setTimeout(wake, retry.delaysMs[tries]));
      }
    }
  };

  const settle = async (batch: Pending<T, R>[]): Promise<void> => {
    let results: R[];
    try {
      results = await flushRetrying(batch.map((p) => p.item));
    } catch (error) {
      if (error instanceof UnstorableDataError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await settle(batch.slice(0, half));
        await settle(batch.slice(half));
      } else {
        for (const p of batch) p.reject(error);
      }
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`flush returned ${results.length} results for ${batch.length} items`);
      for (const p of batch) p.reject(error);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i]!);
  };

  const runBatch = async (batch: Pending<T, R>[]) => {
    running++;
    inFlight += batch.length;
    try {
      await settle(batch);
    } finally {
      running--;
      inFlight -= batch.length;
      pump();
      settleIdle();
    }
  };

  /**
   * Whether the next flush must wait out the interval (a wake-up is then armed); otherwise it may
   * start now, and its start is recorded.
   */
  const heldBack = (): boolean => {
    if (minInterval <= 0) return false;
    const wait = lastStart + minInterval - now();
    const hold = wait > 0 && queue.length < options.maxBatch;
    if (hold && skipHolds === 0) {
      if (heldFrom < 0) {
        heldFrom = queue.length;
        heldSince = now();
      }
      paced ??= setTimeout(() => {
        paced = undefined;
        pump();
      }, wait);
      return true;
    }
    if (hold) skipHolds--;
    // A hold of half an interval or more that ended with what it started with only delayed its
    // batch (a short one may gather nothing by chance).
    else if (heldFrom >= 0 && queue.length === heldFrom && now() - heldSince >= minInterval / 2)
      skipHolds = PROBE_EVERY - 1;
    heldFrom = -1;
    // Due, or a full batch that waits for nothing: a pending wake-up has nothing left to do.
    clearTimeout(paced);
    paced = undefined;
    lastStart = now();
    return false;
  };

  const pump = () => {
    while (running < options.concurrency && queue.length > 0) {
      if (heldBack()) return;
      const batch = queue.slice(0, options.maxBatch);
      queue = queue.slice(batch.length);
      options.onFlush?.(batch.length);
      void runBatch(batch);
    }
  };

  const startPump = () => {
    scheduled = false;
    pump();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // setImmediate runs after this turn's I/O callbacks: every request parsed in the turn joins.
    if (options.gatherTurns === 2) setImmediate(() => setImmediate(startPump));
    else setImmediate(startPump);
  };

  return {
    submit(item) {
      if (queue.length >= options.maxPending) return Promise.reject(new OverloadedError());
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    drain() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    get pending() {
      return queue.length + inFlight;
    },
  };
}
