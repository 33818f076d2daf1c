/**
 * A group commit that fails on one item's data (`UnstorableDataError`) retries the rest without it:
 * the item at fault fails alone, every other item of its batch is committed. Over the real store on
 * both engines (a NOT NULL violation is bad row data on each), and over a stub flush for the
 * shape of the retries; an unavailable database is not retried item by item.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createGroupCommitter } from "../../src/app/group-commit.ts";
import type { ClickRow } from "../../src/app/records.ts";
import { StorageUnavailableError, UnstorableDataError } from "../../src/app/storage-errors.ts";
import { availableEngines, createTestStore } from "../helpers/engines.ts";
import { clickRow } from "../helpers/records.ts";

const OPTIONS = { maxBatch: 64, concurrency: 1, maxPending: 1000 };

for (const engine of await availableEngines()) {
  describe(`group commit isolates bad rows (${engine})`, () => {
    test("two clicks the database refuses among 20: those two fail, the 18 others are stored", async () => {
      const store = await createTestStore(engine);
      try {
        const committer = createGroupCommitter<ClickRow, void>(async (rows) => {
          await store.insertClicks(rows);
          return rows.map(() => undefined);
        }, OPTIONS);
        const rows = Array.from({ length: 20 }, (_, i) =>
          // A click without a link breaks a NOT NULL constraint on both engines.
          i === 3 || i === 16 ? clickRow({ linkId: null as unknown as number }) : clickRow(),
        );
        const outcomes = await Promise.allSettled(rows.map((row) => committer.submit(row)));
        const failed = outcomes.flatMap((o, i) => (o.status === "rejected" ? [i] : []));
        assert.deepEqual(failed, [3, 16]);
        for (const i of failed) {
          const outcome = outcomes[i] as PromiseRejectedResult;
          assert.ok(outcome.reason instanceof UnstorableDataError, String(outcome.reason));
        }
        const stored = await store.listClicks({ limit: 100 });
        assert.equal(stored.length, 18);
      } finally {
        await store.close();
      }
    });
  });
}

describe("group commit retries (stub flush)", () => {
  test("a bad item in 8 is found by halving: 1 + 2 + 2 + 2 flushes, the 7 others resolved", async () => {
    const flushed: number[][] = [];
    const committer = createGroupCommitter<number, number>(async (items) => {
      flushed.push(items);
      if (items.includes(5)) throw new UnstorableDataError("item 5", undefined);
      return items.map((n) => n * 10);
    }, OPTIONS);
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6, 7].map((n) => committer.submit(n)));
    assert.deepEqual(
      outcomes.map((o) => (o.status === "fulfilled" ? o.value : "failed")),
      [0, 10, 20, 30, 40, "failed", 60, 70],
    );
    // Depth first: each failing half is split before the next half is tried.
    assert.deepEqual(flushed, [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [6, 7],
    ]);
  });

  test("an unavailable database fails the whole batch at once, without retries", async () => {
    let flushes = 0;
    const committer = createGroupCommitter<number, number>(async () => {
      flushes++;
      throw new StorageUnavailableError("down", undefined);
    }, OPTIONS);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => committer.submit(n)));
    assert.ok(outcomes.every((o) => o.status === "rejected" && o.reason instanceof StorageUnavailableError));
    assert.equal(flushes, 1);
  });
});
