/**
 * The outbound-postback effect (DESIGN §4): inside the ingest transaction, after commissions, write
 * one outbox message per (subscribed endpoint, conversion, status). Committed with the conversion
 * or rolled back with it, so a committed conversion is always eventually delivered. Clicks (for
 * sub1…sub5) and the originals of reversals are read in bulk, and only when some endpoint fires.
 */

import { addStep, type PostbackTrace } from "../../domain/postback-trace.ts";
import type { ConversionEffect, EffectContext, IngestTx } from "../ingest/ingest-port.ts";
import type { Clock, Ids } from "../ports.ts";
import type { ClickRow, ConversionRow } from "../records.ts";
import type { EndpointCache } from "./endpoint-cache.ts";
import { buildRequest, messageValues, redactUrl } from "./outbound-message.ts";
import type { Endpoint, FireStatus, NewDelivery, OutboxTx } from "./outbox-port.ts";

interface OutboundEffectDeps {
  readonly cache: EndpointCache;
  readonly clock: Clock;
  readonly ids: Ids;
  /**
   * Told, once the batch has committed, which endpoints it queued deliveries for (the dispatcher
   * sends them at once).
   */
  readonly onQueued?: (endpointIds: readonly number[]) => void;
}

interface Fire {
  readonly conversion: ConversionRow;
  readonly endpoint: Endpoint;
  readonly status: FireStatus;
}

/** Which statuses a new conversion fires: reversed for a reversal; created, and approved when paid so. */
function statusesOf(conversion: ConversionRow, context: EffectContext): FireStatus[] {
  if (conversion.reversesId !== null) return ["reversed"];
  const approved = (context.payouts.get(conversion.id) ?? []).some((p) => p.status === "approved");
  return approved ? ["created", "approved"] : ["created"];
}

/** Whether an endpoint fires for this conversion, event (a reversal's original's) and status. */
export function subscribed(
  endpoint: Endpoint,
  conversion: ConversionRow,
  event: string,
  status: FireStatus,
): boolean {
  if (!endpoint.statuses.includes(status)) return false;
  if (conversion.test && !endpoint.includeTest) return false;
  if (endpoint.events.length && !endpoint.events.includes(event)) return false;
  return (
    !endpoint.programIds.length ||
    (conversion.programId !== null && endpoint.programIds.includes(conversion.programId))
  );
}

/** For each conversion, what it matches; reversals match on their original's event. */
async function firesOf(
  tx: OutboxTx,
  byAffiliate: Map<number, readonly Endpoint[]>,
  rows: readonly ConversionRow[],
  context: EffectContext,
): Promise<{ fires: Fire[]; originals: Map<string, ConversionRow> }> {
  const reversals = rows.filter((r) => r.reversesId !== null).map((r) => r.reversesId!);
  const originals = reversals.length ? await tx.conversions(reversals) : new Map<string, ConversionRow>();
  const fires: Fire[] = [];
  for (const conversion of rows) {
    const event = conversion.reversesId
      ? (originals.get(conversion.reversesId)?.event ?? conversion.event)
      : conversion.event;
    for (const endpoint of byAffiliate.get(conversion.affiliateId!) ?? []) {
      for (const status of statusesOf(conversion, context)) {
        if (subscribed(endpoint, conversion, event, status)) fires.push({ conversion, endpoint, status });
      }
    }
  }
  return { fires, originals };
}

/** The clicks (sub1…sub5) of these ids: those the batch read already, the rest read now. */
async function clicksOf(
  tx: OutboxTx,
  clickIds: readonly string[],
  context: EffectContext,
): Promise<ReadonlyMap<string, ClickRow>> {
  const read = context.clicks;
  const missing = read ? clickIds.filter((id) => !read.asked.has(id)) : clickIds;
  if (!missing.length) return read?.rows ?? new Map();
  const found = await tx.clicks(missing);
  if (read) for (const [id, click] of read.rows) found.set(id, click);
  return found;
}

export function createOutboundEffect(deps: OutboundEffectDeps): ConversionEffect {
  const queue = queueEffect(deps);
  const effect: ConversionEffect = async (tx, committed, context) => {
    const queued = await queue(tx, committed, context);
    if (context.traces) traceOutbound(context.traces, committed, queued);
  };
  // The batch's first statement reads the clicks when an endpoint may fire (PostgreSQL).
  return Object.assign(effect, {
    readsClicks: (affiliateIds: ReadonlySet<number>) => deps.cache.mayFire(affiliateIds),
  });
}

/** What the effect queued, and the endpoints it looked at (for the traces). */
interface Queued {
  readonly rows: readonly NewDelivery[];
  readonly byAffiliate: ReadonlyMap<number, readonly Endpoint[]>;
}

const NOTHING: Queued = { rows: [], byAffiliate: new Map() };

function queueEffect(
  deps: OutboundEffectDeps,
): (tx: IngestTx, committed: readonly ConversionRow[], context: EffectContext) => Promise<Queued> {
  return async (tx, committed, context) => {
    const attributed = committed.filter((row) => row.affiliateId !== null);
    if (!attributed.length) return NOTHING;
    const byAffiliate = await deps.cache.of(
      tx.outbox,
      attributed.map((row) => row.affiliateId!),
    );
    const candidates = attributed.filter((row) => byAffiliate.get(row.affiliateId!)?.length);
    if (!candidates.length) return { rows: [], byAffiliate };
    const { fires, originals } = await firesOf(tx.outbox, byAffiliate, candidates, context);
    if (!fires.length) return { rows: [], byAffiliate };
    const clickIds = fires.flatMap((f) => (f.conversion.clickId ? [f.conversion.clickId] : []));
    const clicks = clickIds.length ? await clicksOf(tx.outbox, clickIds, context) : new Map();
    const now = deps.clock.now();
    const rows: NewDelivery[] = fires.map(({ conversion, endpoint, status }) => {
      const original = conversion.reversesId ? originals.get(conversion.reversesId) : undefined;
      const clickId = original?.clickId ?? conversion.clickId;
      const facts = {
        conversion,
        original,
        click: clickId ? clicks.get(clickId) : undefined,
        payouts: context.payouts.get(conversion.id),
        status,
      };
      return {
        id: deps.ids.next("dl"),
        endpointId: endpoint.id,
        affiliateId: endpoint.affiliateId,
        conversionId: conversion.id,
        status,
        test: conversion.test,
        payload: messageValues(facts, endpoint.affiliateId),
        runAt: now + endpoint.delaySeconds * 1000,
      };
    });
    await tx.outbox.enqueue(rows, now);
    const onQueued = deps.onQueued;
    if (onQueued) {
      const endpoints = [...new Set(rows.map((row) => row.endpointId))];
      context.afterCommit.push(() => onQueued(endpoints));
    }
    return { rows, byAffiliate };
  };
}

/**
 * The outbound step of each traced conversion: the exact request per delivery queued (secret-looking
 * URL values redacted, as in the attempt log), and the endpoints that do not take test events.
 */
function traceOutbound(
  traces: ReadonlyMap<string, PostbackTrace>,
  committed: readonly ConversionRow[],
  queued: Queued,
): void {
  for (const conversion of committed) {
    const trace = traces.get(conversion.id);
    if (!trace || conversion.affiliateId === null) continue;
    const endpoints = queued.byAffiliate.get(conversion.affiliateId) ?? [];
    const deliveries = queued.rows
      .filter((row) => row.conversionId === conversion.id)
      .map((row) => {
        const endpoint = endpoints.find((e) => e.id === row.endpointId)!;
        const request = buildRequest(endpoint, row, row.runAt);
        return {
          endpoint_id: row.endpointId,
          status: row.status,
          method: request.method,
          url: redactUrl(request.url),
          ...(request.body === undefined ? {} : { body: request.body }),
          run_at: new Date(row.runAt).toISOString(),
        };
      });
    const notForTests = conversion.test ? endpoints.filter((e) => !e.includeTest).map((e) => e.id) : [];
    if (!deliveries.length && !notForTests.length) continue;
    const verb = trace.mode === "validate_only" ? "would be queued (rolled back)" : "queued";
    addStep(
      trace,
      "outbound",
      deliveries.length ? "passed" : "skipped",
      `${deliveries.length} deliver${deliveries.length === 1 ? "y" : "ies"} ${verb}.`,
      {
        deliveries,
        ...(notForTests.length ? { endpoints_not_taking_test_events: notForTests } : {}),
      },
    );
  }
}
