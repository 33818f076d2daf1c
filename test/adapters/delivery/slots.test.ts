/**
 * The dispatcher's slot accounting: a claim asks for the free slots, counts the outcomes being
 * committed with it as free, and names the endpoints at their cap.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSlots } from "../../../src/adapters/delivery/slots.ts";
import type { FinishItem } from "../../../src/app/delivery/delivery-store-port.ts";

const finishing = (id: string): FinishItem => ({
  id,
  workerId: "w",
  outcome: { state: "delivered", runAt: 0, lastError: null, lastStatus: 200, deliveredAt: 0 },
  attempt: null,
  now: 0,
});

describe("dispatcher slots", () => {
  test("claims fill free slots, count committing outcomes as free, and leave capped endpoints out", () => {
    const slots = createSlots({ concurrency: 5, perEndpoint: 2, leaseMs: 1000 });
    slots.take("d1", 1);
    slots.take("d2", 1);
    slots.take("d3", 2);
    assert.deepEqual([slots.size, slots.free], [3, 2]);

    const idle = slots.claimFor("w", 10_000, []);
    assert.deepEqual([idle.limit, idle.busyEndpoints, idle.staleBefore, idle.perEndpoint], [2, [1], 9000, 2]);
    assert.deepEqual(
      [...idle.inFlight!],
      [
        [1, 2],
        [2, 1],
      ],
    );

    const refill = slots.claimFor("w", 10_000, [finishing("d1"), finishing("d3")]);
    assert.deepEqual([refill.limit, refill.busyEndpoints], [4, []]);
    assert.deepEqual(
      [...refill.inFlight!],
      [
        [1, 1],
        [2, 0],
      ],
    );

    slots.release("d1");
    slots.release("d3");
    slots.release("unknown");
    assert.deepEqual([slots.size, slots.free], [1, 4]);
    assert.deepEqual([...slots.claimFor("w", 10_000, []).inFlight!], [[1, 1]]);
  });
});
