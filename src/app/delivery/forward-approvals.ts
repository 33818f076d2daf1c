/**
 * Use case: the approval forwarder (DESIGN §4, "on approval"). Commissions are approved later, by
 * the hold job, outside any ingest transaction; this step, run by each dispatcher, finds approved
 * conversions that an endpoint subscribed to `approved` has no message for yet and writes one.
 * Durable without its own state: the outbox's unique (endpoint, conversion, status) key is the
 * record of what was forwarded, so repeats (two ticks, two processes, a restart) write nothing.
 *
 * It reads in (approved_at, conversion, endpoint) order from a cursor kept in memory: a full batch
 * moves the cursor past its last row; a short one means caught up, and the next round starts again
 * `overlapMs` before this one (an approval committed late is still seen). A new process starts
 * `lookbackMs` back, so approvals made while every process was down are forwarded at start.
 */

import type { Payout } from "../ingest/ingest-port.ts";
import type { Clock, Ids } from "../ports.ts";
import type { ApprovalToForward, DeliveryStore, ForwardCursor } from "./delivery-store-port.ts";
import { subscribed } from "./outbound-effect.ts";
import { messageValues } from "./outbound-message.ts";
import type { NewDelivery } from "./outbox-port.ts";

interface ForwardDeps {
  readonly store: DeliveryStore;
  readonly clock: Clock;
  readonly ids: Ids;
}

interface ForwardOptions {
  /** Rows read per round (bounded work per tick). */
  readonly batch: number;
  /** How far back a new process looks. */
  readonly lookbackMs: number;
  /** How far back a caught-up forwarder looks again. */
  readonly overlapMs: number;
}

export const FORWARD_DEFAULTS: ForwardOptions = {
  batch: 500,
  lookbackMs: 7 * 86_400_000,
  overlapMs: 10 * 60_000,
};

interface ApprovalForwarder {
  /** One round: returns how many messages were written (0 when already forwarded by anyone). */
  tick(): Promise<number>;
}

function messageOf(
  deps: ForwardDeps,
  found: ApprovalToForward,
  now: number,
  delaySeconds: number,
): NewDelivery {
  const { conversion } = found;
  const affiliateId = conversion.affiliateId!;
  const payout: Payout = {
    conversionId: conversion.id,
    affiliateId,
    amountMinor: found.payoutMinor,
    currency: found.currency,
    status: "approved",
  };
  const facts = {
    conversion,
    original: undefined,
    click: found.click,
    payouts: [payout],
    status: "approved",
  } as const;
  return {
    id: deps.ids.next("dl"),
    endpointId: found.endpointId,
    affiliateId,
    conversionId: conversion.id,
    status: "approved",
    test: conversion.test,
    payload: messageValues(facts, affiliateId),
    runAt: now + delaySeconds * 1000,
  };
}

export function createApprovalForwarder(
  deps: ForwardDeps,
  options: ForwardOptions = FORWARD_DEFAULTS,
): ApprovalForwarder {
  const start = (at: number): ForwardCursor => ({ approvedAt: at, conversionId: "", endpointId: 0 });
  let cursor = start(deps.clock.now() - options.lookbackMs);
  return {
    async tick() {
      const now = deps.clock.now();
      const found = await deps.store.approvalsToForward(cursor, options.batch);
      const rows: NewDelivery[] = [];
      const endpoints = new Map<number, Awaited<ReturnType<DeliveryStore["endpoints"]["get"]>>>();
      for (const item of found) {
        if (!endpoints.has(item.endpointId))
          endpoints.set(item.endpointId, await deps.store.endpoints.get(item.endpointId));
        const endpoint = endpoints.get(item.endpointId);
        if (endpoint?.status !== "active") continue;
        if (!subscribed(endpoint, item.conversion, item.conversion.event, "approved")) continue;
        rows.push(messageOf(deps, item, now, endpoint.delaySeconds));
      }
      await deps.store.enqueue(rows, now);
      const last = found.at(-1);
      cursor =
        last && found.length >= options.batch
          ? { approvedAt: last.approvedAt, conversionId: last.conversionId, endpointId: last.endpointId }
          : start(Math.max(cursor.approvedAt, now - options.overlapMs));
      return rows.length;
    },
  };
}
