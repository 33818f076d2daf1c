/**
 * The dispatcher loop: every interval, claim due outbox rows (up to the free slots) and send each
 * one (deliver-postback.ts). At-least-once: a row is claimed before it is sent and released after,
 * so a process that dies mid-send leaves a claim that is taken again once its lease has expired
 * (on SQLite, where one dispatcher owns the file, claims are freed at start). A dead or slow
 * endpoint holds at most `perEndpoint` slots of this process, so healthy endpoints keep flowing.
 */
import { hostname } from "node:os";
import { type DeliverDeps, deliverPostback } from "../../app/delivery/deliver-postback.ts";
import type { Delivery } from "../../app/delivery/outbox-port.ts";

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

export function createDispatcher(deps: DeliverDeps, options: DispatcherOptions): Dispatcher {
  const inFlight = new Map<string, Promise<void>>();
  const perEndpoint = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let round: Promise<void> = Promise.resolve();

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
    if (stopped || free <= 0) return [];
    const now = deps.clock.now();
    const busy = [...perEndpoint].filter(([, n]) => n >= options.perEndpoint).map(([id]) => id);
    const claimed = await deps.store.claim({
      workerId: deps.workerId,
      now,
      limit: free,
      staleBefore: now - options.leaseMs,
      busyEndpoints: busy,
      perEndpoint: options.perEndpoint,
    });
    return claimed.map(send);
  };

  const tick = async (): Promise<void> => {
    // Claims never overlap (each sees the in-flight counts of the one before); sends do.
    let sends: Promise<void>[] = [];
    round = round.then(async () => {
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
      poll();
    },
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      await Promise.all(inFlight.values());
    },
  };
}
