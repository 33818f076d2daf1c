/**
 * The dispatcher's group commit: outcomes finished while the previous batch was committing are
 * written together, in one transaction (one fsync on SQLite) instead of one each, and, while a
 * backlog is due, the slots they free are refilled by a claim in that same transaction. One batch
 * commits at a time; every submitter resolves once its outcome is committed.
 *
 * While the database is unavailable the batch is tried again, backing off, for about ten seconds:
 * the attempts were made and their outcomes are known, and recording them late beats sending the
 * deliveries again once their claims' leases run out. Past that the batch fails (the leases then
 * bring the deliveries back: at least once).
 */
import { setTimeout as delay } from "node:timers/promises";
import type {
  ClaimedDelivery,
  ClaimRequest,
  DeliveryStore,
  FinishItem,
} from "../../app/delivery/delivery-store-port.ts";
import { StorageUnavailableError } from "../../app/storage-errors.ts";

/** Waits before the retries of a batch the database could not take (about 11 s in all). */
export const FINISH_RETRY_DELAYS_MS = [200, 400, 800, 1600, 3200, 5000] as const;

export interface FinishBatcherOptions {
  readonly maxBatch: number;
  /** Waits before retrying a batch the database could not take (default FINISH_RETRY_DELAYS_MS). */
  readonly retryDelaysMs?: readonly number[];
  /** Told of each failed try that will be retried (for the log). */
  readonly onRetry?: (error: unknown) => void;
  /** The claim to run with this batch (null: none), given the items whose slots it frees. */
  readonly claimFor: (finishing: readonly FinishItem[]) => ClaimRequest | null;
  /** Told of what the batch's claim took (possibly nothing), after the commit, whenever claimFor gave one. */
  readonly onClaimed: (rows: ClaimedDelivery[], request: ClaimRequest) => void;
}

interface Waiting {
  readonly item: FinishItem;
  resolve(): void;
  reject(error: unknown): void;
}

export interface FinishBatcher {
  submit(item: FinishItem): Promise<void>;
}

export function createFinishBatcher(store: DeliveryStore, options: FinishBatcherOptions): FinishBatcher {
  let queue: Waiting[] = [];
  let running = false;
  let scheduled = false;

  const commit = async (items: FinishItem[]): Promise<void> => {
    const claim = options.claimFor(items);
    if (!claim) {
      await store.finishAndClaim(items, null);
      return;
    }
    let claimed: ClaimedDelivery[] = [];
    try {
      claimed = await store.finishAndClaim(items, claim);
    } catch {
      // The outcomes matter more than the refill: record them alone (the loop claims later).
      await store.finishAndClaim(items, null);
    } finally {
      options.onClaimed(claimed, claim);
    }
  };

  const flush = async (): Promise<void> => {
    if (running || !queue.length) return;
    running = true;
    const batch = queue.slice(0, options.maxBatch);
    queue = queue.slice(batch.length);
    const items = batch.map((w) => w.item);
    const delays = options.retryDelaysMs ?? FINISH_RETRY_DELAYS_MS;
    try {
      for (let tries = 0; ; tries++) {
        try {
          await commit(items);
          break;
        } catch (error) {
          if (!(error instanceof StorageUnavailableError) || tries >= delays.length) throw error;
          options.onRetry?.(error);
          await delay(delays[tries]);
        }
      }
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      running = false;
      void flush();
    }
  };

  // Flushed after the I/O callbacks of this turn and of the next one: answers that arrived while
  // the last commit held the loop (a SQLite commit is synchronous) are all read before the next
  // commit, instead of a first few committing alone. At concurrency 64 this took median batches
  // from 23–46 outcomes to 64, up to half the commits (bench/DELIVERIES.md); it costs one loop turn.
  const nextTurn = (): void => {
    setImmediate(() => {
      scheduled = false;
      void flush();
    });
  };

  return {
    submit(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(nextTurn);
      });
    },
  };
}
