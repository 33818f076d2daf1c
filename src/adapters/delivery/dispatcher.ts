/**
 * The dispatcher loop: every interval, claim due outbox rows (up to the free slots, slots.ts) and
 * send each one (deliver-postback.ts). At-least-once: a row is claimed before it is sent and
 * released after, so a process that dies mid-send leaves a claim that is taken again once its lease
 * has expired (on SQLite, where one dispatcher owns the file, claims are freed at start). A dead or
 * slow endpoint holds at most `perEndpoint` slots of this process, so healthy endpoints keep flowing.
 * Outcomes are group-committed (finish-batcher.ts); while a backlog is due, each batch's commit
 * also claims the rows that fill the slots it frees, so a backlog drains without waiting for the
 * interval and with one transaction per batch rather than two per delivery.
 */
import { hostname } from "node:os";
import { type DeliverDeps, deliverPostback } from "../../app/delivery/deliver-postback.ts";
import type { ClaimedDelivery, ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";
import { createFinishBatcher, type FinishBatcher } from "./finish-batcher.ts";
import { createForwardStep, type ForwardStep } from "./forward-step.ts";
import { createSlots, type SlotLimits, type Slots } from "./slots.ts";

export interface DispatcherOptions extends SlotLimits {
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
  /** Stops claiming and waits for the sends in flight. */
  stop(): Promise<void>;
  readonly workerId: string;
}

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

interface Loop {
  readonly deps: DeliverDeps;
  readonly slots: Slots;
  readonly sending: Set<Promise<void>>;
  readonly onError: (error: unknown) => void;
  started: boolean;
  stopped: boolean;
  /** Claims found due rows: each committed batch refills its slots instead of the next interval. */
  backlog: boolean;
  /** Claims never overlap (each must see the slots the one before took): the loop's or a batch's. */
  claiming: boolean;
}

/** Whether more may be due: rows came, or endpoints at their cap were left out of the claim. */
const stillDue = (rows: readonly ClaimedDelivery[], request: ClaimRequest): boolean =>
  rows.length > 0 || request.busyEndpoints.length > 0;

/** The deliver use case's deps with `finish` going through the group commit. */
function batched(plain: DeliverDeps, finisher: () => FinishBatcher): DeliverDeps {
  const finish: DeliverDeps["store"]["finish"] = (id, workerId, outcome, attempt, now) =>
    finisher().submit({ id, workerId, outcome, attempt, now });
  return { ...plain, store: { ...plain.store, finish } };
}

/** Sends one claimed delivery in its slot; the slot is freed once its outcome is committed. */
function send(loop: Loop, delivery: ClaimedDelivery): Promise<void> {
  loop.slots.take(delivery.id, delivery.endpointId);
  const settle = (): void => {
    loop.slots.release(delivery.id);
    loop.sending.delete(done);
  };
  const done = deliverPostback(loop.deps, delivery).then(settle, (error: unknown) => {
    settle();
    loop.onError(error);
  });
  loop.sending.add(done);
  return done;
}

/** The claim a committing batch runs for the slots it frees (null: none). */
function refillClaim(loop: Loop, finishing: readonly FinishItem[]): ClaimRequest | null {
  // Only a started loop refills (`tick()` alone, in tests and tools, never does).
  if (!loop.started || loop.stopped || !loop.backlog || loop.claiming) return null;
  loop.claiming = true;
  return loop.slots.claimFor(loop.deps.workerId, loop.deps.clock.now(), finishing);
}

function refilled(loop: Loop, rows: ClaimedDelivery[], request: ClaimRequest): void {
  loop.claiming = false;
  loop.backlog = stillDue(rows, request);
  for (const row of rows) send(loop, row);
}

/** The loop's own claim for the free slots; returns the sends it started. */
async function claimAndSend(loop: Loop): Promise<Promise<void>[]> {
  // A refill claim of a committing batch is under way: it takes the free slots.
  if (loop.stopped || loop.slots.free <= 0 || loop.claiming) return [];
  loop.claiming = true;
  try {
    const request = loop.slots.claimFor(loop.deps.workerId, loop.deps.clock.now(), []);
    const claimed = await loop.deps.store.claim(request);
    loop.backlog = stillDue(claimed, request);
    return claimed.map((row) => send(loop, row));
  } finally {
    loop.claiming = false;
  }
}

export function createDispatcher(plain: DeliverDeps, options: DispatcherOptions): Dispatcher {
  const onError = (error: unknown): void => options.onError?.(error);
  const loop: Loop = {
    deps: batched(plain, () => finisher),
    slots: createSlots(options),
    sending: new Set(),
    onError,
    started: false,
    stopped: false,
    backlog: false,
    claiming: false,
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

  return {
    workerId: loop.deps.workerId,
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
      // A batch committing now may still hand over rows it claimed: wait for those sends too.
      while (loop.sending.size) await Promise.all(loop.sending);
    },
  };
}
