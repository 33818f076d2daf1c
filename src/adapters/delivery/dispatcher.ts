/**
 * The dispatcher loop: every interval, claim due outbox rows (up to the free room of the lanes,
 * endpoint-lanes.ts) and send each one (deliver-postback.ts) as its endpoint's lane has room.
 * At-least-once: a row is claimed before it is sent and released after, so a process that dies
 * mid-send leaves a claim that is taken again once its lease has expired (on SQLite, where one
 * dispatcher owns the file, claims are freed at start). A dead or slow endpoint holds only its own
 * lane, so healthy endpoints keep flowing; a fast one gets more requests at once. Outcomes are
 * group-committed (finish-batcher.ts); while a backlog is due, each batch's commit also claims the
 * rows that fill the room it frees, so a backlog drains without waiting for the interval, with one
 * transaction per batch rather than two per delivery, and the next deliveries of an endpoint are
 * already queued when a response comes back.
 */
import { hostname } from "node:os";
import { type DeliverDeps, deliverPostback } from "../../app/delivery/deliver-postback.ts";
import type { ClaimedDelivery, ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";
import { createEndpointLanes, type EndpointLanes, type LaneLimits } from "./endpoint-lanes.ts";
import { createFinishBatcher, type FinishBatcher } from "./finish-batcher.ts";
import { createForwardStep, type ForwardStep } from "./forward-step.ts";

export interface DispatcherOptions extends LaneLimits {
  readonly intervalMs: number;
  /** Free every claim at start (SQLite: the only dispatcher). */
  readonly releaseAtStart: boolean;
  /**
   * A periodic step of the loop run before claiming, at most every `forwardIntervalMs` (and on every
   * `tick()`): the approval forwarder, which writes outbox rows for approvals made by the hold job.
   */
  readonly forward?: () => Promise<unknown>;
  readonly forwardIntervalMs?: number;
  /** Called with any error of the loop itself (storage down…). */
  readonly onError?: (error: unknown) => void;
}

export interface Dispatcher {
  start(): Promise<void>;
  /** One round: claim what is due and send it; resolves when those sends are done. */
  tick(): Promise<void>;
  /**
   * New deliveries of these endpoints were committed: claim them now rather than at the next
   * interval (coalesced: at most one claim waits; while one runs, the next committed batch of
   * outcomes takes them).
   */
  nudge(endpointIds: readonly number[]): void;
  /** Stops claiming and waits for the sends in flight. */
  stop(): Promise<void>;
  readonly workerId: string;
}

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

interface Loop {
  readonly deps: DeliverDeps;
  readonly lanes: EndpointLanes;
  /** Each held delivery's end (outcome committed), for `tick()` to wait on. */
  readonly ends: Map<string, { promise: Promise<void>; resolve(): void }>;
  readonly onError: (error: unknown) => void;
  started: boolean;
  stopped: boolean;
  /** Endpoints with new deliveries committed since the last claim (the ingest's nudges). */
  readonly nudged: Set<number>;
  /** Claims never overlap (each must see the room the one before took): the loop's or a batch's. */
  claiming: boolean;
  /**
   * Deliveries whose outcome committed while the loop's own claim was out (PostgreSQL: the claim
   * runs on another connection). A claim may have taken such a row, gone stale, just before its
   * outcome committed: its answer would arrive after the hold is released and send it again.
   */
  settledWhileClaiming: Set<string> | undefined;
}

/** The deliver use case's deps with `finish` going through the group commit. */
function batched(plain: DeliverDeps, finisher: () => FinishBatcher): DeliverDeps {
  const finish: DeliverDeps["store"]["finish"] = (id, workerId, outcome, attempt, now) =>
    finisher().submit({ id, workerId, outcome, attempt, now });
  return { ...plain, store: { ...plain.store, finish } };
}

/** Sends one claimed delivery; its lane slot is freed at the answer, its hold at the commit. */
function send(loop: Loop, delivery: ClaimedDelivery): void {
  const deps: DeliverDeps = {
    ...loop.deps,
    sender: {
      send: (request, options) =>
        loop.deps.sender.send(request, options).then((result) => {
          loop.lanes.answered(delivery.id, result.ok);
          pump(loop);
          return result;
        }),
    },
  };
  const settle = (): void => {
    loop.settledWhileClaiming?.add(delivery.id);
    loop.lanes.done(delivery.id);
    loop.ends.get(delivery.id)?.resolve();
    loop.ends.delete(delivery.id);
    pump(loop);
  };
  deliverPostback(deps, delivery).then(settle, (error: unknown) => {
    settle();
    loop.onError(error);
  });
}

/** Sends what the lanes have room for. */
function pump(loop: Loop): void {
  for (const delivery of loop.lanes.next()) send(loop, delivery);
}

/** Queues claimed rows in their lanes and sends what fits; returns their ends. */
function accept(loop: Loop, claimed: readonly ClaimedDelivery[]): Promise<void>[] {
  const ends = loop.lanes.add(claimed).map((row) => {
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    loop.ends.set(row.id, { promise, resolve });
    return promise;
  });
  pump(loop);
  return ends;
}

/**
 * The claim a committing batch runs (null: none): for the endpoints nudged meanwhile and those
 * whose last claim filled their room and that have room again (more is probably due there).
 */
function refillClaim(loop: Loop, finishing: readonly FinishItem[]): ClaimRequest | null {
  // Only a started loop refills (`tick()` alone, in tests and tools, never does).
  if (!loop.started || loop.stopped || loop.claiming) return null;
  const endpoints = [...loop.nudged, ...loop.lanes.wanting(finishing)];
  if (!endpoints.length) return null;
  loop.nudged.clear();
  loop.claiming = true;
  return loop.lanes.claimFor(loop.deps.workerId, loop.deps.clock.now(), finishing, endpoints);
}

function refilled(loop: Loop, rows: ClaimedDelivery[], request: ClaimRequest): void {
  loop.claiming = false;
  loop.lanes.claimed(request, rows);
  accept(loop, rows);
}

/**
 * The loop's own claim for the free room (of `endpoints`, or every active endpoint); returns the
 * ends of the deliveries it took.
 */
async function claimAndSend(loop: Loop, endpoints?: readonly number[]): Promise<Promise<void>[]> {
  // A refill claim of a committing batch is under way: it takes the free room.
  if (loop.stopped || loop.claiming) return [];
  const request = loop.lanes.claimFor(loop.deps.workerId, loop.deps.clock.now(), [], endpoints);
  if (request.limit <= 0) return [];
  loop.claiming = true;
  const settled = new Set<string>();
  loop.settledWhileClaiming = settled;
  try {
    // A row whose outcome committed meanwhile was claimed before it was: it is done, not due.
    const claimed = (await loop.deps.store.claim(request)).filter((row) => !settled.has(row.id));
    loop.lanes.claimed(request, claimed);
    return accept(loop, claimed);
  } finally {
    loop.claiming = false;
    loop.settledWhileClaiming = undefined;
  }
}

export function createDispatcher(plain: DeliverDeps, options: DispatcherOptions): Dispatcher {
  const onError = (error: unknown): void => options.onError?.(error);
  const loop: Loop = {
    deps: batched(plain, () => finisher),
    lanes: createEndpointLanes(options),
    ends: new Map(),
    onError,
    started: false,
    stopped: false,
    nudged: new Set(),
    claiming: false,
    settledWhileClaiming: undefined,
  };
  const finisher = createFinishBatcher(plain.store, {
    maxBatch: 1000,
    onRetry: onError,
    claimFor: (finishing) => refillClaim(loop, finishing),
    onClaimed: (rows, request) => refilled(loop, rows, request),
  });
  const forwardStep = createForwardStep(options.forward, options.forwardIntervalMs ?? 0, onError);
  const forward: ForwardStep = (always) => (loop.stopped ? Promise.resolve() : forwardStep(always));
  return schedule(loop, options, forward);
}

/**
 * The wait before the next round after `failures` failed ones in a row: the interval, doubled per
 * failure up to 16 intervals (at most 30 s, never less than one interval), so a database that is
 * down is not asked every interval, and is used again soon after it is back.
 */
export function pollDelay(intervalMs: number, failures: number): number {
  const cap = Math.max(intervalMs, Math.min(intervalMs * 16, 30_000));
  return Math.min(intervalMs * 2 ** Math.min(failures, 16), cap);
}

/** The rounds: `tick()` on demand, and after `start()` one every interval; rounds never overlap. */
function schedule(loop: Loop, options: DispatcherOptions, forward: ForwardStep): Dispatcher {
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  const poll = (): void => {
    if (loop.stopped) return;
    round = round
      .then(() => forward(false))
      .then(() => claimAndSend(loop))
      .then(
        () => {
          failures = 0;
        },
        (error: unknown) => {
          failures++;
          loop.onError(error);
        },
      )
      .finally(() => {
        if (!loop.stopped) timer = setTimeout(poll, pollDelay(options.intervalMs, failures)).unref();
      });
  };

  let nudging = false;
  return {
    workerId: loop.deps.workerId,
    nudge(endpointIds) {
      if (!loop.started || loop.stopped) return;
      for (const id of endpointIds) loop.nudged.add(id);
      if (nudging) return;
      nudging = true;
      round = round.then(() => {
        nudging = false;
        // A claim of a committing batch may take them first (refillClaim); else this one does.
        if (!loop.nudged.size || loop.claiming) return;
        const endpoints = [...loop.nudged];
        loop.nudged.clear();
        return claimAndSend(loop, endpoints).then(() => undefined, loop.onError);
      });
    },
    async start() {
      if (options.releaseAtStart) await loop.deps.store.releaseAll();
      loop.started = true;
      poll();
    },
    async tick() {
      let sends: Promise<void>[] = [];
      round = round.then(async () => {
        await forward(true);
        try {
          sends = await claimAndSend(loop);
        } catch (error) {
          loop.onError(error);
        }
      });
      await round;
      await Promise.all(sends);
    },
    async stop() {
      loop.stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      // Claimed and never sent: handed back at once (not left to their lease).
      const unsent = loop.lanes.drain();
      if (unsent.length) {
        await loop.deps.store
          .release(
            unsent.map((d) => d.id),
            loop.deps.workerId,
          )
          .catch(loop.onError);
        for (const d of unsent) {
          loop.lanes.done(d.id);
          loop.ends.get(d.id)?.resolve();
          loop.ends.delete(d.id);
        }
      }
      // A batch committing now may still hand over rows it claimed: wait for those sends too.
      while (loop.ends.size) await Promise.all([...loop.ends.values()].map((e) => e.promise));
    },
  };
}
