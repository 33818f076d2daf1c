import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import {
  createGroupCommitter,
  type GroupCommitOptions,
  OverloadedError,
  PROBE_EVERY,
} from "../../src/app/group-commit.ts";

const OPTIONS: GroupCommitOptions = { maxBatch: 100, concurrency: 1, maxPending: 1000 };

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A committer whose flush records its batches and doubles each item. */
function recording(
  options: Partial<GroupCommitOptions> = {},
  gate?: () => Promise<void>,
  now?: () => number,
) {
  const batches: number[][] = [];
  const committer = createGroupCommitter<number, number>(
    async (items) => {
      batches.push(items);
      await gate?.();
      return items.map((n) => n * 2);
    },
    { ...OPTIONS, ...options },
    now,
  );
  return { committer, batches };
}

describe("group commit", () => {
  test("items submitted in one turn are flushed together, each gets its own result", async () => {
    const { committer, batches } = recording();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
  });

  test("gatherTurns 2: what arrives in the next turn joins the same flush; 1: it does not", async () => {
    for (const [gatherTurns, expected] of [
      [2, [[1, 2]]],
      [1, [[1], [2]]],
    ] as const) {
      const { committer, batches } = recording({ gatherTurns });
      const first = committer.submit(1);
      await nextTurn();
      await Promise.all([first, committer.submit(2)]);
      assert.deepEqual(batches, expected, `gatherTurns ${gatherTurns}`);
    }
  });

  test("retry: a batch failing with an error worth waiting out is flushed again, then given up", async () => {
    let failures = 2;
    const retried: unknown[] = [];
    const tries: number[][] = [];
    const committer = createGroupCommitter<number, number>(
      async (items) => {
        tries.push(items);
        if (failures-- > 0) throw new RangeError("away");
        return items;
      },
      {
        ...OPTIONS,
        retry: {
          delaysMs: [0, 0],
          when: (e) => e instanceof RangeError,
          onRetry: (e) => void retried.push(e),
        },
      },
    );
    assert.equal(await committer.submit(7), 7);
    assert.equal(tries.length, 3, "two failed tries, then the one that committed");
    assert.equal(retried.length, 2);
    failures = 5;
    await assert.rejects(committer.submit(8), RangeError);
    assert.equal(tries.length, 3 + 3, "the first try and both retries");
    const bug = createGroupCommitter<number, number>(
      async () => {
        throw new TypeError("a bug");
      },
      { ...OPTIONS, retry: { delaysMs: [0, 0], when: (e) => e instanceof RangeError } },
    );
    await assert.rejects(bug.submit(1), TypeError, "an error not worth waiting out fails at once");
  });

  test("maxBatch splits a turn into several flushes, in order", async () => {
    const { committer, batches } = recording({ maxBatch: 2, concurrency: 10 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
  });

  test("no more flushes run at once than the concurrency allows", async () => {
    let running = 0;
    let peak = 0;
    const committer = createGroupCommitter<number, number>(
      async (items) => {
        running++;
        peak = Math.max(peak, running);
        await nextTurn();
        running--;
        return items;
      },
      { maxBatch: 1, concurrency: 2, maxPending: 100 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => committer.submit(n)));
    assert.equal(peak, 2);
  });

  test("items arriving while a flush runs wait and share the next flush", async () => {
    const gate = deferred();
    const { committer, batches } = recording({}, () =>
      batches.length === 1 ? gate.promise : Promise.resolve(),
    );
    const first = committer.submit(1);
    await nextTurn();
    const later = [committer.submit(2)];
    await nextTurn();
    later.push(committer.submit(3), committer.submit(4));
    await nextTurn();
    assert.deepEqual(batches, [[1]]);
    assert.equal(committer.pending, 4);
    gate.release();
    assert.deepEqual(await Promise.all([first, ...later]), [2, 4, 6, 8]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  test("a submitter learns its outcome only after the flush has resolved", async () => {
    const gate = deferred();
    const { committer } = recording({}, () => gate.promise);
    let settled = false;
    const result = committer.submit(1).then((r) => {
      settled = true;
      return r;
    });
    await nextTurn();
    await nextTurn();
    assert.equal(settled, false);
    gate.release();
    assert.equal(await result, 2);
  });

  test("a failing flush rejects only the items of its batch", async () => {
    const committer = createGroupCommitter<number, number>(
      async (items) => {
        if (items.includes(3)) throw new Error("disk full");
        return items;
      },
      { maxBatch: 2, concurrency: 1, maxPending: 100 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    assert.deepEqual(
      outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message)),
      [1, 2, "disk full", "disk full", 5],
    );
    assert.equal(committer.pending, 0);
  });

  test("a flush returning the wrong number of results fails its batch", async () => {
    const committer = createGroupCommitter<number, number>(async () => [1], OPTIONS);
    const outcomes = await Promise.allSettled([committer.submit(1), committer.submit(2)]);
    assert.ok(outcomes.every((o) => o.status === "rejected"));
  });

  test("beyond maxPending waiting submissions are refused at once with OverloadedError", async () => {
    const { committer } = recording({ maxPending: 3 });
    const accepted = [1, 2, 3].map((n) => committer.submit(n));
    await assert.rejects(committer.submit(4), OverloadedError);
    assert.deepEqual(await Promise.all(accepted), [2, 4, 6]);
    assert.equal(await committer.submit(5), 10, "accepting again once the queue emptied");
  });

  test("drain waits for everything submitted, including later flushes", async () => {
    assert.equal(await recording().committer.drain(), undefined, "nothing pending: resolves at once");
    const gate = deferred();
    const { committer, batches } = recording({ maxBatch: 1 }, () => gate.promise);
    const results = [1, 2, 3].map((n) => committer.submit(n));
    let drained = false;
    const draining = committer.drain().then(() => {
      drained = true;
    });
    await nextTurn();
    assert.equal(drained, false);
    assert.equal(committer.pending, 3);
    gate.release();
    await draining;
    assert.deepEqual(batches, [[1], [2], [3]]);
    assert.equal(committer.pending, 0);
    assert.deepEqual(await Promise.all(results), [2, 4, 6]);
  });
  describe("pacing (minIntervalMs)", () => {
    /**
     * The pacing's clock and wake-ups under test control: `t.mock.timers` runs setTimeout and Date
     * (setImmediate, which gathers a turn's submissions, stays real), and the committer reads
     * Date.now() as its clock. Nothing waits for real time: `tick(ms)` moves it.
     */
    function paced(t: TestContext, options: Partial<GroupCommitOptions>) {
      t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
      /** Lets this turn's submissions reach the committer, then moves the clock and runs what is due. */
      const tick = async (ms: number) => {
        await nextTurn();
        t.mock.timers.tick(ms);
        await nextTurn();
      };
      return { ...recording(options, undefined, () => Date.now()), tick };
    }

    test("a lone submission is flushed at once; later ones wait for the interval and share a flush", async (t) => {
      const { committer, batches, tick } = paced(t, { minIntervalMs: 60 });
      const first = committer.submit(1);
      await nextTurn();
      assert.deepEqual(batches, [[1]], "nothing flushed before it: no wait");
      await first;
      const later = [committer.submit(2)];
      await tick(5);
      later.push(committer.submit(3));
      await tick(54);
      assert.deepEqual(batches, [[1]], "held back: the previous flush started 59 ms ago");
      await tick(1);
      assert.deepEqual(batches, [[1], [2, 3]], "flushed 60 ms after the first");
      assert.deepEqual(await Promise.all(later), [4, 6]);
    });

    test("a full batch does not wait", async (t) => {
      const { committer, batches } = paced(t, { minIntervalMs: 10_000, maxBatch: 3 });
      await committer.submit(1);
      const full = [2, 3, 4].map((n) => committer.submit(n));
      await nextTurn();
      assert.deepEqual(batches, [[1], [2, 3, 4]]);
      assert.deepEqual(await Promise.all(full), [4, 6, 8]);
    });

    test("a batch that fills up while held back is flushed at once", async (t) => {
      const { committer, batches } = paced(t, { minIntervalMs: 10_000, maxBatch: 3 });
      await committer.submit(1);
      const held = committer.submit(2);
      await nextTurn();
      assert.deepEqual(batches, [[1]], "held back");
      const rest = [3, 4].map((n) => committer.submit(n));
      await nextTurn();
      assert.deepEqual(batches, [[1], [2, 3, 4]], "full: no waiting for the interval");
      assert.deepEqual(await Promise.all([held, ...rest]), [4, 6, 8]);
    });

    test("after a quiet interval a submission is flushed at once again", async (t) => {
      const { committer, batches, tick } = paced(t, { minIntervalMs: 20 });
      await committer.submit(1);
      await tick(19);
      const second = committer.submit(2);
      await nextTurn();
      assert.deepEqual(batches, [[1]], "19 ms after a flush: held");
      await tick(1);
      assert.deepEqual(batches, [[1], [2]]);
      await second;
      await tick(20);
      const third = committer.submit(3);
      await nextTurn();
      assert.deepEqual(batches, [[1], [2], [3]], "a whole interval after: at once");
      await third;
    });

    test("a hold that gathers nothing is not repeated; one in PROBE_EVERY holds again", async (t) => {
      // One client sending one request at a time: it waits for the held flush, nothing else comes.
      const { committer, batches, tick } = paced(t, { minIntervalMs: 40 });
      await committer.submit(0);
      const first = committer.submit(1);
      await tick(39);
      assert.equal(batches.length, 1, "the first hold happens");
      await tick(1);
      await first;
      for (let i = 2; i < PROBE_EVERY + 1; i++) {
        const next = committer.submit(i);
        await nextTurn();
        assert.deepEqual(batches.at(-1), [i], `submission ${i} is flushed without a hold`);
        await next;
      }
      const probe = committer.submit(PROBE_EVERY + 1);
      await tick(39);
      assert.equal(batches.length, PROBE_EVERY + 1, "the probe holds again");
      await tick(1);
      await probe;
      assert.equal(batches.length, PROBE_EVERY + 2, "one flush per submission throughout");
    });

    test("holds that gather submissions go on", async (t) => {
      const { committer, batches, tick } = paced(t, { minIntervalMs: 30 });
      await committer.submit(0);
      for (let round = 0; round < 3; round++) {
        const first = committer.submit(10 * round + 1);
        await tick(5);
        const second = committer.submit(10 * round + 2);
        await tick(24);
        assert.equal(batches.length, round + 1, `round ${round} is held`);
        await tick(1);
        await Promise.all([first, second]);
      }
      assert.deepEqual(batches, [[0], [1, 2], [11, 12], [21, 22]]);
    });

    test("drain waits for a flush that is being held back", async (t) => {
      const { committer, batches, tick } = paced(t, { minIntervalMs: 40 });
      await committer.submit(1);
      const second = committer.submit(2);
      await nextTurn();
      assert.equal(committer.pending, 1);
      let drained = false;
      const draining = committer.drain().then(() => {
        drained = true;
      });
      await tick(39);
      assert.equal(drained, false);
      await tick(1);
      await draining;
      assert.deepEqual(batches, [[1], [2]]);
      assert.equal(await second, 4);
    });
  });
});
