/**
 * The dispatcher's lanes: claimed deliveries wait in a queue per endpoint and are sent as that
 * endpoint's lane has room. Two limits apply:
 * - HTTP requests in flight: at most `concurrency` in the process, and per endpoint an adaptive
 *   limit between `perEndpoint` and `perEndpointMax`. An endpoint whose lane is full while more of
 *   its deliveries wait grows its limit by one with each success (it keeps up: send it more at
 *   once); any failure halves it (a slow or failing receiver gets no more than `perEndpoint`).
 * - Deliveries held (claimed, outcome not yet committed): `prefetch` per unit of concurrency in the
 *   process, and per endpoint `QUEUE_DEPTH` times its limit, so the next ones are already here when
 *   a response comes back (no claim between two sends), while a backed-up endpoint holds few rows
 *   (each must be sent well within its claim's lease).
 * A delivery's request slot is freed when its response arrives; its hold when its outcome is
 * committed (until then its row stays locked, so no claim takes it again).
 */
import type { ClaimedDelivery, ClaimRequest, FinishItem } from "../../app/delivery/delivery-store-port.ts";

export interface LaneLimits {
  /** HTTP requests in flight at once in this process. */
  readonly concurrency: number;
  /** An endpoint's starting (and lowest) limit of requests in flight. */
  readonly perEndpoint: number;
  /** The highest limit an endpoint that keeps up reaches. */
  readonly perEndpointMax: number;
  /** How long a claim holds before another worker may take the row again. */
  readonly leaseMs: number;
}

/** Deliveries held per unit of concurrency, and per endpoint per unit of its limit. */
const PREFETCH = 4;
const QUEUE_DEPTH = 4;

interface Lane {
  readonly queue: ClaimedDelivery[];
  sending: number;
  held: number;
  limit: number;
  /** Its last claim filled all its room: more of its rows are probably due. */
  more: boolean;
}

export interface EndpointLanes {
  /** Deliveries claimed and not yet committed (queued, sending or finishing). */
  readonly held: number;
  /** HTTP requests in flight. */
  readonly sending: number;
  /**
   * Claimed deliveries join their endpoints' queues; returns those added. One held here already
   * is left out: its claim went stale before its outcome was committed (a long send, a clock
   * jump) and a claim took it again, but it is being sent already.
   */
  add(rows: readonly ClaimedDelivery[]): ClaimedDelivery[];
  /** Deliveries to send now, taken off their queues and counted as sending. */
  next(): ClaimedDelivery[];
  /** A request got its answer (or failed): frees its slot and adapts its endpoint's limit. */
  answered(id: string, ok: boolean): void;
  /** Its outcome is committed (or it ended otherwise): no longer held. */
  done(id: string): void;
  /** Empties the queues: the deliveries claimed and never sent (to hand back at stop). */
  drain(): ClaimedDelivery[];
  /** An endpoint's current limit of requests in flight. */
  limitOf(endpointId: number): number;
  /**
   * The claim for the free room, counting the holds of `finishing` (committed with it) as free;
   * for `endpoints` only, when given (all active endpoints otherwise).
   */
  claimFor(
    workerId: string,
    now: number,
    finishing: readonly FinishItem[],
    endpoints?: readonly number[],
  ): ClaimRequest;
  /** What a claim took: notes which endpoints filled their room (more is due there). */
  claimed(request: ClaimRequest, rows: readonly ClaimedDelivery[]): void;
  /** Endpoints whose last claim filled their room and that have room again (a refill's targets). */
  wanting(finishing: readonly FinishItem[]): number[];
}

export function createEndpointLanes(limits: LaneLimits): EndpointLanes {
  const lanes = new Map<number, Lane>();
  /** Held deliveries: their endpoint, and whether their request is in flight. */
  const held = new Map<string, { endpointId: number; sending: boolean }>();
  let sending = 0;
  /** Where the next claim starts serving endpoints (after this one), when the last ran out. */
  let rotation: number | undefined;
  const laneOf = (endpointId: number): Lane => {
    let lane = lanes.get(endpointId);
    if (!lane) {
      lane = { queue: [], sending: 0, held: 0, limit: limits.perEndpoint, more: false };
      lanes.set(endpointId, lane);
    }
    return lane;
  };
  const stopSending = (entry: { endpointId: number; sending: boolean }, lane: Lane) => {
    if (!entry.sending) return;
    entry.sending = false;
    lane.sending--;
    sending--;
  };

  return {
    get held() {
      return held.size;
    },
    get sending() {
      return sending;
    },
    add(rows) {
      const added: ClaimedDelivery[] = [];
      for (const row of rows) {
        if (held.has(row.id)) continue;
        added.push(row);
        const lane = laneOf(row.endpointId);
        lane.queue.push(row);
        lane.held++;
        held.set(row.id, { endpointId: row.endpointId, sending: false });
      }
      return added;
    },
    next() {
      const out: ClaimedDelivery[] = [];
      // Round-robin over the endpoints, one at a time, so one busy endpoint cannot take every slot.
      let progress = true;
      while (progress && sending < limits.concurrency) {
        progress = false;
        for (const lane of lanes.values()) {
          if (sending >= limits.concurrency) break;
          if (!lane.queue.length || lane.sending >= lane.limit) continue;
          const row = lane.queue.shift()!;
          held.get(row.id)!.sending = true;
          lane.sending++;
          sending++;
          out.push(row);
          progress = true;
        }
      }
      return out;
    },
    answered(id, ok) {
      const entry = held.get(id);
      if (!entry) return;
      const lane = laneOf(entry.endpointId);
      // Saturated: the lane was full and more of its deliveries were waiting.
      const saturated = lane.sending >= lane.limit && lane.queue.length > 0;
      stopSending(entry, lane);
      if (!ok) lane.limit = Math.max(limits.perEndpoint, Math.floor(lane.limit / 2));
      else if (saturated) lane.limit = Math.min(limits.perEndpointMax, lane.limit + 1);
    },
    done(id) {
      const entry = held.get(id);
      if (!entry) return;
      const lane = laneOf(entry.endpointId);
      stopSending(entry, lane);
      held.delete(id);
      lane.held--;
      // Forget an idle endpoint back at its starting limit with nothing due (the map stays small).
      if (lane.held === 0 && lane.limit === limits.perEndpoint && !lane.more) lanes.delete(entry.endpointId);
    },
    drain() {
      const out: ClaimedDelivery[] = [];
      for (const lane of lanes.values()) out.push(...lane.queue.splice(0));
      return out;
    },
    limitOf(endpointId) {
      return lanes.get(endpointId)?.limit ?? limits.perEndpoint;
    },
    claimFor(workerId, now, finishing, endpoints) {
      const inFlight = new Map<number, number>();
      for (const [endpointId, lane] of lanes) inFlight.set(endpointId, lane.held);
      let freed = 0;
      for (const { id } of finishing) {
        const entry = held.get(id);
        if (!entry) continue;
        freed++;
        inFlight.set(entry.endpointId, (inFlight.get(entry.endpointId) ?? 1) - 1);
      }
      const caps = new Map<number, number>();
      const busyEndpoints: number[] = [];
      for (const [endpointId, lane] of lanes) {
        caps.set(endpointId, lane.limit * QUEUE_DEPTH);
        if ((inFlight.get(endpointId) ?? 0) >= lane.limit * QUEUE_DEPTH) busyEndpoints.push(endpointId);
      }
      return {
        workerId,
        now,
        limit: limits.concurrency * PREFETCH - held.size + freed,
        staleBefore: now - limits.leaseMs,
        ...(endpoints ? { endpoints: [...new Set(endpoints)] } : {}),
        ...(rotation === undefined ? {} : { rotateAfter: rotation }),
        busyEndpoints,
        perEndpoint: limits.perEndpoint * QUEUE_DEPTH,
        caps,
        inFlight,
      };
    },
    claimed(request, rows) {
      const got = new Map<number, number>();
      for (const row of rows) got.set(row.endpointId, (got.get(row.endpointId) ?? 0) + 1);
      const asked = request.endpoints ?? [...got.keys()];
      for (const endpointId of asked) {
        const room =
          (request.caps?.get(endpointId) ?? request.perEndpoint) - (request.inFlight?.get(endpointId) ?? 0);
        if (room <= 0) continue;
        const n = got.get(endpointId) ?? 0;
        if (n >= room) laneOf(endpointId).more = true;
        else {
          const lane = lanes.get(endpointId);
          if (lane) lane.more = false;
        }
      }
      // The claim ran out of room in all: the next one starts after the last endpoint served.
      if (rows.length >= request.limit && rows.length) rotation = rows.at(-1)!.endpointId;
    },
    wanting(finishing) {
      const freeing = new Map<number, number>();
      for (const { id } of finishing) {
        const entry = held.get(id);
        if (entry) freeing.set(entry.endpointId, (freeing.get(entry.endpointId) ?? 0) + 1);
      }
      const out: number[] = [];
      for (const [endpointId, lane] of lanes) {
        const room = lane.limit * QUEUE_DEPTH - lane.held + (freeing.get(endpointId) ?? 0);
        if (lane.more && room > 0) out.push(endpointId);
      }
      return out;
    },
  };
}
