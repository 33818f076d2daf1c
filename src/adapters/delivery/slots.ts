/**
 * The dispatcher's slots: which deliveries this process has in flight, how many per endpoint, and
 * the claim that fills the free ones without taking an endpoint past its cap. A delivery holds its
 * slot from its claim until its outcome is committed.
 */
import type { ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";

export interface SlotLimits {
  /** Deliveries in flight at once in this process. */
  readonly concurrency: number;
  /** Deliveries of one endpoint in flight at once in this process. */
  readonly perEndpoint: number;
  /** How long a claim holds before another worker may take the row again. */
  readonly leaseMs: number;
}

export interface Slots {
  readonly size: number;
  readonly free: number;
  take(id: string, endpointId: number): void;
  release(id: string): void;
  /**
   * The claim for the free slots, counting as free those of `finishing` (outcomes committed in the
   * same transaction as the claim).
   */
  claimFor(workerId: string, now: number, finishing: readonly FinishItem[]): ClaimRequest;
}

export function createSlots(limits: SlotLimits): Slots {
  const endpointOf = new Map<string, number>();
  const perEndpoint = new Map<number, number>();

  const claimFor = (workerId: string, now: number, finishing: readonly FinishItem[]): ClaimRequest => {
    const inFlight = new Map(perEndpoint);
    for (const { id } of finishing) {
      const endpointId = endpointOf.get(id);
      if (endpointId !== undefined) inFlight.set(endpointId, (inFlight.get(endpointId) ?? 1) - 1);
    }
    const busyEndpoints: number[] = [];
    for (const [id, n] of inFlight) if (n >= limits.perEndpoint) busyEndpoints.push(id);
    return {
      workerId,
      now,
      limit: limits.concurrency - endpointOf.size + finishing.length,
      staleBefore: now - limits.leaseMs,
      busyEndpoints,
      perEndpoint: limits.perEndpoint,
      inFlight,
    };
  };

  return {
    get size() {
      return endpointOf.size;
    },
    get free() {
      return limits.concurrency - endpointOf.size;
    },
    take(id, endpointId) {
      endpointOf.set(id, endpointId);
      perEndpoint.set(endpointId, (perEndpoint.get(endpointId) ?? 0) + 1);
    },
    release(id) {
      const endpointId = endpointOf.get(id);
      if (endpointId === undefined) return;
      endpointOf.delete(id);
      const left = (perEndpoint.get(endpointId) ?? 1) - 1;
      if (left > 0) perEndpoint.set(endpointId, left);
      else perEndpoint.delete(endpointId);
    },
    claimFor,
  };
}
