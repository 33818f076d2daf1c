/**
 * The dispatcher loop backs off while its database fails (interval doubled per failed round, up
 * to 16 intervals or 30 s) and polls at its interval again after the first round that works; a
 * failing round never stops the loop. Timers are mocked: no real waiting.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createDispatcher, pollDelay } from "../../../src/adapters/delivery/dispatcher.ts";
import type { DeliverDeps } from "../../../src/app/delivery/deliver-postback.ts";
import { StorageUnavailableError } from "../../../src/app/storage-errors.ts";

describe("dispatcher backoff", () => {
  test("pollDelay: doubles per failure, capped at 16 intervals and 30 s, never below one interval", () => {
    const cases: Array<[number, number, number]> = [
      [1000, 0, 1000],
      [1000, 1, 2000],
      [1000, 3, 8000],
      [1000, 4, 16_000],
      [1000, 10, 16_000],
      [50, 5, 800],
      [5000, 3, 30_000],
      [60_000, 2, 60_000],
      [1000, 10_000, 16_000],
    ];
    for (const [interval, failures, expected] of cases)
      assert.equal(pollDelay(interval, failures), expected, `${interval} ms after ${failures} failures`);
  });

  test("rounds that fail are retried later and later; the first that works resets the pace", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    let claims = 0;
    let failing = true;
    const errors: unknown[] = [];
    const store = {
      claim: async () => {
        claims++;
        if (failing) throw new StorageUnavailableError("down", undefined);
        return [];
      },
      releaseAll: async () => 0,
    };
    const dispatcher = createDispatcher(
      { store, clock: { now: () => 0 }, workerId: "w" } as unknown as DeliverDeps,
      {
        concurrency: 2,
        perEndpoint: 1,
        perEndpointMax: 1,
        intervalMs: 100,
        leaseMs: 1000,
        releaseAtStart: false,
        onError: (error) => errors.push(error),
      },
    );
    await dispatcher.start();
    const settle = async () => {
      for (let i = 0; i < 5; i++) await turn();
    };
    await settle();
    assert.equal(claims, 1);
    // After 1, 2 and 3 failures: 200, 400 and 800 ms.
    for (const wait of [200, 400, 800]) {
      t.mock.timers.tick(wait - 1);
      await settle();
      const before: number = claims;
      t.mock.timers.tick(1);
      await settle();
      assert.equal(claims, before + 1, `a round after ${wait} ms`);
    }
    assert.equal(errors.length, 4);
    failing = false;
    t.mock.timers.tick(1600);
    await settle();
    assert.equal(claims, 5, "the round after the longest wait (16 intervals) works");
    t.mock.timers.tick(100);
    await settle();
    assert.equal(claims, 6, "then the interval again");
    await dispatcher.stop();
  });
});
