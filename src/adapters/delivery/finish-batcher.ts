/**
 * The dispatcher's group commit (app/group-commit.ts): outcomes finished while the previous batch was committing are
 * written together, in one transaction (one fsync on SQLite) instead of one each, and, while a
 * backlog is due, the slots they free are refilled by a claim in that same transaction. One batch
 * commits at a time; every submitter resolves once its outcome is committed.
 *
 * While the database is unavailable the batch is tried again, backing off, for about ten seconds:
 * the attempts were made and their outcomes are known, and recording them late beats sending the
 * deliveries again once their claims' leases run out. Past that the batch fails (the leases then
 * bring the deliveries back: at least once).
 */
import type {
  ClaimedDelivery,
  ClaimRequest,
  DeliveryStore,
  FinishItem,
} from "../../app/delivery/delivery-store-port.ts";
import { createGroupCommitter } from "../../app/group-commit.ts";
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

export interface FinishBatcher {
  submit(item: FinishItem): Promise<void>;
}

export function createFinishBatcher(store: DeliveryStore, options: FinishBatcherOptions): FinishBatcher {
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

  const committer = createGroupCommitter<FinishItem, void>(
    async (items) => {
      await commit(items);
      return items.map(() => undefined);
    },
    {
      maxBatch: options.maxBatch,
      concurrency: 1,
      // Bounded by the deliveries the dispatcher has in flight.
      maxPending: Number.POSITIVE_INFINITY,
      // Answers that arrived while the last commit held the loop (a SQLite commit is synchronous)
      // are all read before the next commit, instead of a first few committing alone. At
      // concurrency 64 this took median batches from 23–46 outcomes to 64, up to half the commits
      // (bench/DELIVERIES.md); it costs one loop turn.
      gatherTurns: 2,
      retry: {
        delaysMs: options.retryDelaysMs ?? FINISH_RETRY_DELAYS_MS,
        when: (error) => error instanceof StorageUnavailableError,
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      },
    },
  );
  return { submit: (item) => committer.submit(item) };
}
