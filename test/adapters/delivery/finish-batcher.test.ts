/**
 * The group commit's error paths, over a stub store: a refill claim that fails still records the
 * batch's outcomes (alone) and tells the loop its claim took nothing; a batch that cannot be
 * recorded at all rejects every submitter of that batch, and the next batch commits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createFinishBatcher } from "../../../src/adapters/delivery/finish-batcher.ts";
import type {
  ClaimedDelivery,
  ClaimRequest,
  DeliveryStore,
  FinishItem,
} from "../../../src/app/delivery/delivery-store-port.ts";
import { StorageUnavailableError } from "../../../src/app/storage-errors.ts";

const item = (id: string): FinishItem => ({
  id,
  workerId: "w",
  outcome: { state: "delivered", runAt: 1, lastError: null, lastStatus: 200, deliveredAt: 1 },
  attempt: null,
  now: 1,
});

const CLAIM: ClaimRequest = {
  workerId: "w",
  now: 1,
  limit: 4,
  staleBefore: 0,
  busyEndpoints: [],
  perEndpoint: 4,
};

/** A store whose finishAndClaim is `run`; every call is recorded as [ids, with a claim?]. */
function stubStore(
  run: (items: readonly FinishItem[], claim: ClaimRequest | null) => Promise<ClaimedDelivery[]>,
) {
  const calls: Array<[string[], boolean]> = [];
  const store = {
    finishAndClaim: (items: readonly FinishItem[], claim: ClaimRequest | null) => {
      calls.push([items.map((i) => i.id), claim !== null]);
      return run(items, claim);
    },
  } as unknown as DeliveryStore;
  return { store, calls };
}

test("a failed refill claim records the outcomes alone and reports an empty claim", async () => {
  const { store, calls } = stubStore(async (_items, claim) => {
    if (claim) throw new Error("claim failed");
    return [];
  });
  const told: Array<[number, ClaimRequest]> = [];
  const batcher = createFinishBatcher(store, {
    maxBatch: 10,
    claimFor: () => CLAIM,
    onClaimed: (rows, request) => void told.push([rows.length, request]),
  });
  await Promise.all([batcher.submit(item("a")), batcher.submit(item("b"))]);
  assert.deepEqual(calls, [
    [["a", "b"], true],
    [["a", "b"], false],
  ]);
  assert.deepEqual(told, [[0, CLAIM]]);
});

test("a batch that cannot be recorded rejects its submitters; the next batch still commits", async () => {
  let down = true;
  const { store, calls } = stubStore(async () => {
    if (down) throw new Error("storage down");
    return [];
  });
  const batcher = createFinishBatcher(store, {
    maxBatch: 10,
    claimFor: () => null,
    onClaimed: () => undefined,
  });
  await assert.rejects(batcher.submit(item("a")), /storage down/);
  down = false;
  await batcher.submit(item("b"));
  assert.deepEqual(calls, [
    [["a"], false],
    [["b"], false],
  ]);
});

test("outcomes the database could not take are recorded once it can: retried, backing off, then given up", async () => {
  let failures = 2;
  const { store, calls } = stubStore(async () => {
    if (failures-- > 0) throw new StorageUnavailableError("down", undefined);
    return [];
  });
  const retried: unknown[] = [];
  const batcher = createFinishBatcher(store, {
    maxBatch: 10,
    retryDelaysMs: [1, 1, 1],
    claimFor: () => null,
    onClaimed: () => undefined,
    onRetry: (error) => void retried.push(error),
  });
  await batcher.submit(item("a"));
  assert.equal(calls.length, 3, "two failed tries, then the one that committed");
  assert.equal(retried.length, 2);

  failures = 10;
  await assert.rejects(batcher.submit(item("b")), StorageUnavailableError);
  assert.equal(calls.length, 3 + 4, "the first try and three retries");

  const bug = stubStore(async () => {
    throw new TypeError("a bug");
  });
  const once = createFinishBatcher(bug.store, {
    maxBatch: 10,
    retryDelaysMs: [1, 1, 1],
    claimFor: () => null,
    onClaimed: () => undefined,
  });
  await assert.rejects(once.submit(item("c")), TypeError);
  assert.equal(bug.calls.length, 1, "only an unavailable database is waited for");
});
