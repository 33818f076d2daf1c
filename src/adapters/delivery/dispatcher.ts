/**
 * The dispatcher loop: every interval, claim due outbox rows (up to the free slots) and send each
 * one (deliver-postback.ts). At-least-once: a row is claimed before it is sent and released after,
 * so a process that dies mid-send leaves a claim that is taken again once its lease has expired
 * (on SQLite, where one dispatcher owns the file, claims are freed at start). A dead or slow
 * endpoint holds at most `perEndpoint` slots of this process, so healthy endpoints keep flowing.
 * Outcomes are group-committed (finish-batcher.ts); while a backlog is due, each batch's commit
 * also claims the rows that fill the slots it frees, so a backlog drains without waiting for the
 * interval and with one transaction per batch rather than two per delivery.
 */
import { hostname } from "node:os";
import { type DeliverDeps, deliverPostback } from "../../app/delivery/deliver-postback.ts";
import type { ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";
import type { Delivery } from "../../app/delivery/outbox-port.ts";
import { createFinishBatcher } from "./finish-batcher.ts";

export interface DispatcherOptions {
  /** Deliveries in flight at once in this process. */
  readonly concurrency: number;
  /** Deliveries of one endpoint in flight at once in this process. */
  readonly perEndpoint: number;
  readonly intervalMs: number;
  /** How long a claim holds before another worker may take the row again. */
  readonly leaseMs: number;
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

/** Whether more may be due: rows came, or endpoints at their cap were left out of the claim. */
const stillDue = (rows: readonly Delivery[], request: ClaimRequest): boolean =>
  rows.length > 0 || request.busyEndpoints.length > 0;

export function createDispatcher(plain: DeliverDeps, options: DispatcherOptions): Dispatcher {
  const inFlight = new Map<string, Promise<void>>();
  const perEndpoint = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;
  let round: Promise<void> = Promise.resolve();
  let forwardedAt = Number.NEGATIVE_INFINITY;
  // While claims find due rows (a backlog), each committed batch of outcomes refills its slots in
  // the same transaction instead of waiting for the next interval.
  let backlog = false;
  // Claims never overlap (each must see the slots the one before took): the loop's or a batch's.
  let claiming = 0;

  const claimRequest = (finishing: readonly FinishItem[]): ClaimRequest => {
    const counts = new Map(perEndpoint);
    for (const item of finishing) {
      const endpointId = item.attempt?.endpointId;
      if (endpointId !== undefined) counts.set(endpointId, (counts.get(endpointId) ?? 1) - 1);
    }
    const now = plain.clock.now();
    return {
      workerId: plain.workerId,
      now,
      limit: options.concurrency - inFlight.size + finishing.length,
      staleBefore: now - options.leaseMs,
      busyEndpoints: [...counts].filter(([, n]) => n >= options.perEndpoint).map(([id]) => id),
      perEndpoint: options.perEndpoint,
      inFlight: counts,
    };
  };

  const finisher = createFinishBatcher(plain.store, {
    maxBatch: 1000,
    claimFor: (finishing) => {
      // Only a started loop refills (`tick()` alone, in tests and tools, never does).
      if (!started || stopped || !backlog || claiming > 0) return null;
      claiming++;
      return claimRequest(finishing);
    },
    onClaimed: (rows, request) => {
      claiming--;
      backlog = stillDue(rows, request);
      for (const row of rows) send(row);
    },
  });
  const finish = (...[id, workerId, outcome, attempt, now]: Parameters<DeliverDeps["store"]["finish"]>) =>
    finisher.submit({ id, workerId, outcome, attempt, now });
  const deps: DeliverDeps = { ...plain, store: { ...plain.store, finish } };

  const forward = async (always: boolean): Promise<void> => {
    if (!options.forward || stopped) return;
    const at = performance.now();
    if (!always && at - forwardedAt < (options.forwardIntervalMs ?? 0)) return;
    forwardedAt = at;
    try {
      await options.forward();
    } catch (error) {
      options.onError?.(error);
    }
  };

  const send = (delivery: Delivery): Promise<void> => {
    perEndpoint.set(delivery.endpointId, (perEndpoint.get(delivery.endpointId) ?? 0) + 1);
    const done = deliverPostback(deps, delivery)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        inFlight.delete(delivery.id);
        const left = (perEndpoint.get(delivery.endpointId) ?? 1) - 1;
        if (left > 0) perEndpoint.set(delivery.endpointId, left);
        else perEndpoint.delete(delivery.endpointId);
      });
    inFlight.set(delivery.id, done);
    return done;
  };

  const claimAndSend = async (): Promise<Promise<void>[]> => {
    const free = options.concurrency - inFlight.size;
    // A refill claim of a committing batch is under way: it takes the free slots.
    if (stopped || free <= 0 || claiming > 0) return [];
    claiming++;
    try {
      const request = claimRequest([]);
      const claimed = await deps.store.claim(request);
      backlog = stillDue(claimed, request);
      return claimed.map(send);
    } finally {
      claiming--;
    }
  };

  const tick = async (): Promise<void> => {
    // Claims never overlap (each sees the in-flight counts of the one before); sends do.
    let sends: Promise<void>[] = [];
    round = round.then(async () => {
      await forward(true);
      try {
        sends = await claimAndSend();
      } catch (error) {
        options.onError?.(error);
      }
    });
    await round;
    await Promise.all(sends);
  };

  const poll = () => {
    if (stopped) return;
    round = round
      .then(() => forward(false))
      .then(claimAndSend)
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(poll, options.intervalMs).unref();
      });
  };

  return {
    workerId: deps.workerId,
    async start() {
      if (options.releaseAtStart) await deps.store.releaseAll();
      started = true;
      poll();
    },
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      // A batch committing now may still hand over rows it claimed: wait for those sends too.
      while (inFlight.size) await Promise.all(inFlight.values());
    },
  };
}
