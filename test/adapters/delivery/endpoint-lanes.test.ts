/**
 * The dispatcher's lanes: claimed deliveries queue per endpoint and go out as each endpoint's lane
 * has room; an endpoint that keeps up gets more at once, a failing one falls back; a claim asks
 * for the free room, counts the holds being committed with it as free, and leaves full endpoints out.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createEndpointLanes } from "../../../src/adapters/delivery/endpoint-lanes.ts";
import type { ClaimedDelivery, FinishItem } from "../../../src/app/delivery/delivery-store-port.ts";

const delivery = (id: string, endpointId: number): ClaimedDelivery => ({
  id,
  endpointId,
  payload: {},
  attempts: 1,
  lastError: null,
  lastStatus: null,
  endpoint: {
    id: endpointId,
    urlTemplate: "https://a.example/",
    method: "GET",
    secret: "",
    previousSecret: null,
    previousSecretExpiresAt: null,
    status: "active",
    consecutiveFailures: 0,
  },
});

const finishing = (id: string): FinishItem => ({
  id,
  workerId: "w",
  outcome: { state: "delivered", runAt: 0, lastError: null, lastStatus: 200, deliveredAt: 0 },
  attempt: null,
  now: 0,
});

const ids = (rows: readonly ClaimedDelivery[]) => rows.map((r) => r.id);

describe("endpoint lanes", () => {
  test("each endpoint sends up to its limit, in turn, within the process's concurrency", () => {
    const lanes = createEndpointLanes({ concurrency: 3, perEndpoint: 2, perEndpointMax: 8, leaseMs: 1000 });
    lanes.add([delivery("a1", 1), delivery("a2", 1), delivery("a3", 1), delivery("b1", 2)]);
    assert.deepEqual(ids(lanes.next()), ["a1", "b1", "a2"], "round-robin, 2 of endpoint 1, 3 in all");
    assert.deepEqual(ids(lanes.next()), [], "every slot taken");
    assert.deepEqual([lanes.held, lanes.sending], [4, 3]);
    lanes.answered("b1", true);
    assert.deepEqual(ids(lanes.next()), [], "endpoint 1 is at its limit; endpoint 2 has nothing queued");
    lanes.done("b1");
    assert.equal(lanes.held, 3);
  });

  test("a saturated endpoint that keeps up grows its limit; a failure halves it, never below the start", () => {
    const lanes = createEndpointLanes({ concurrency: 100, perEndpoint: 2, perEndpointMax: 5, leaseMs: 1000 });
    lanes.add(Array.from({ length: 40 }, (_, i) => delivery(`d${i}`, 7)));
    let sent = lanes.next();
    assert.equal(sent.length, 2);
    for (let round = 0; round < 6; round++) {
      for (const d of sent) lanes.answered(d.id, true);
      sent = lanes.next();
    }
    assert.equal(lanes.limitOf(7), 5, "grown to the maximum while deliveries waited");
    lanes.answered(sent[0]!.id, false);
    assert.equal(lanes.limitOf(7), 2, "halved by a failure (5 → 2)");
    lanes.answered(sent[1]!.id, false);
    assert.equal(lanes.limitOf(7), 2, "not below the start");
  });

  test("an endpoint answering with nothing else waiting does not grow", () => {
    const lanes = createEndpointLanes({ concurrency: 100, perEndpoint: 2, perEndpointMax: 5, leaseMs: 1000 });
    for (let i = 0; i < 10; i++) {
      lanes.add([delivery(`d${i}`, 7)]);
      const [d] = lanes.next();
      lanes.answered(d!.id, true);
      lanes.done(d!.id);
    }
    assert.equal(lanes.limitOf(7), 2);
  });

  test("claims ask for the free room, count committing holds as free, and leave full endpoints out", () => {
    const lanes = createEndpointLanes({ concurrency: 2, perEndpoint: 1, perEndpointMax: 4, leaseMs: 1000 });
    // Room: 2 × 4 held in the process; 1 × 4 per endpoint at the starting limit.
    lanes.add([
      delivery("a1", 1),
      delivery("a2", 1),
      delivery("a3", 1),
      delivery("a4", 1),
      delivery("b1", 2),
    ]);
    const idle = lanes.claimFor("w", 10_000, []);
    assert.deepEqual([idle.limit, idle.busyEndpoints, idle.staleBefore, idle.perEndpoint], [3, [1], 9000, 4]);
    assert.deepEqual(
      [...idle.inFlight!],
      [
        [1, 4],
        [2, 1],
      ],
    );
    assert.deepEqual(
      [...idle.caps!],
      [
        [1, 4],
        [2, 4],
      ],
    );
    const refill = lanes.claimFor("w", 10_000, [finishing("a1"), finishing("b1"), finishing("unknown")]);
    assert.deepEqual([refill.limit, refill.busyEndpoints], [5, []]);
    assert.deepEqual(
      [...refill.inFlight!],
      [
        [1, 3],
        [2, 0],
      ],
    );
  });

  test("a delivery held already is not added again (a stale claim taken back while it is sent)", () => {
    const lanes = createEndpointLanes({ concurrency: 4, perEndpoint: 1, perEndpointMax: 1, leaseMs: 1000 });
    assert.deepEqual(ids(lanes.add([delivery("a1", 1)])), ["a1"]);
    assert.deepEqual(ids(lanes.next()), ["a1"]);
    assert.deepEqual(ids(lanes.add([delivery("a1", 1), delivery("a2", 1)])), ["a2"]);
    assert.deepEqual([lanes.held, lanes.sending], [2, 1]);
    lanes.answered("a1", true);
    assert.deepEqual(ids(lanes.next()), ["a2"], "the lane is free again: the other one goes, not a1 twice");
    lanes.done("a1");
    lanes.answered("a2", true);
    lanes.done("a2");
    assert.deepEqual([lanes.held, lanes.sending], [0, 0]);
  });

  test("an endpoint whose claim filled its room is wanted again once it has room; a short claim is not", () => {
    const lanes = createEndpointLanes({ concurrency: 1, perEndpoint: 1, perEndpointMax: 1, leaseMs: 1000 });
    // Room: 4 held per endpoint (1 × QUEUE_DEPTH), 4 in the process.
    const first = lanes.claimFor("w", 0, [], [1, 2]);
    assert.deepEqual(first.endpoints, [1, 2]);
    const rows = [delivery("a1", 1), delivery("a2", 1), delivery("a3", 1), delivery("a4", 1)];
    lanes.claimed(first, rows);
    lanes.add(rows);
    assert.deepEqual(lanes.wanting([]), [], "endpoint 1 filled its room but has none left");
    assert.deepEqual(lanes.wanting([finishing("a1")]), [1], "committing a1 frees room for more of 1");
    const second = lanes.claimFor("w", 0, [finishing("a1")], [1]);
    assert.equal(second.rotateAfter, 1, "the first claim ran out of room: the next starts after 1");
    lanes.claimed(second, []);
    lanes.done("a1");
    assert.deepEqual(lanes.wanting([]), [], "its claim came back short: nothing more due");
  });

  test("drain hands back what was never sent; done forgets it", () => {
    const lanes = createEndpointLanes({ concurrency: 1, perEndpoint: 1, perEndpointMax: 1, leaseMs: 1000 });
    lanes.add([delivery("a1", 1), delivery("a2", 1), delivery("b1", 2)]);
    assert.deepEqual(ids(lanes.next()), ["a1"]);
    assert.deepEqual(ids(lanes.drain()), ["a2", "b1"]);
    for (const id of ["a2", "b1"]) lanes.done(id);
    assert.deepEqual([lanes.held, lanes.sending], [1, 1]);
    lanes.answered("a1", true);
    lanes.done("a1");
    assert.deepEqual([lanes.held, lanes.sending], [0, 0]);
  });
});
