/**
 * The outbound side of a manual adjustment (DESIGN §3: "forwarded to affiliates like a reversal"):
 * inside the adjustment's transaction, one message per subscribed endpoint of the conversion's
 * affiliate, status `rejected` (a reject) or `adjusted` (by an amount). `{payout}` is what the
 * adjustment changed for the affiliate (negative when money is taken back), `{total_payout}` its
 * net commission on the conversion after it, `{reason}` the reason code. Endpoints are read in the
 * transaction (not from the ingest cache): adjustments are rare and must see the endpoints as now.
 */
import { adjustmentFigures, adjustmentStatus } from "../../domain/outbound-status.ts";
import type { AdjustmentEffect, AdjustmentWritten } from "../commissions/commission-store-port.ts";
import type { Payout } from "../ingest/ingest-port.ts";
import type { Clock, Ids } from "../ports.ts";
import type { ClickRow, ConversionRow } from "../records.ts";
import { subscribed } from "./outbound-effect.ts";
import { type MessageFacts, messageValues } from "./outbound-message.ts";
import type { NewDelivery } from "./outbox-port.ts";

interface ForwardAdjustmentDeps {
  readonly clock: Clock;
  readonly ids: Ids;
}

/** What the message says: the affiliate's delta as its payout, and the decision itself. */
function factsOf(
  conversion: ConversionRow,
  original: ConversionRow | undefined,
  click: ClickRow | undefined,
  { adjustment, entries, before }: AdjustmentWritten,
  affiliateId: number,
): MessageFacts {
  const { deltaMinor, totalMinor } = adjustmentFigures(before, entries, affiliateId);
  const delta: Payout = {
    conversionId: conversion.id,
    affiliateId,
    amountMinor: deltaMinor,
    currency: adjustment.currency,
    status: entries[0]?.status ?? "approved",
  };
  return {
    conversion,
    original,
    click,
    payouts: [delta],
    status: adjustmentStatus(adjustment.action),
    adjustment: {
      reasonCode: adjustment.reasonCode,
      at: adjustment.createdAt,
      totalMinor,
      currency: adjustment.currency,
    },
  };
}

/** The effect that forwards an adjustment of `conversion` (attributed, so it has an affiliate). */
export function forwardAdjustment(deps: ForwardAdjustmentDeps, conversion: ConversionRow): AdjustmentEffect {
  return async (outbox, written) => {
    const { adjustment } = written;
    const affiliateId = conversion.affiliateId;
    if (affiliateId === null) return;
    const status = adjustmentStatus(adjustment.action);
    // An adjusted refund is told about as its original, like the refund itself was.
    const original = conversion.reversesId
      ? (await outbox.conversions([conversion.reversesId])).get(conversion.reversesId)
      : undefined;
    const event = original?.event ?? conversion.event;
    const endpoints = (await outbox.endpointsOf([affiliateId])).filter((e) =>
      subscribed(e, conversion, event, status),
    );
    if (!endpoints.length) return;
    const clickId = original?.clickId ?? conversion.clickId;
    const click = clickId ? (await outbox.clicks([clickId])).get(clickId) : undefined;
    const facts = factsOf(conversion, original, click, written, affiliateId);
    const payload = messageValues(facts, affiliateId);
    const now = deps.clock.now();
    const rows: NewDelivery[] = endpoints.map((endpoint) => ({
      id: deps.ids.next("dl"),
      endpointId: endpoint.id,
      affiliateId,
      conversionId: conversion.id,
      status,
      test: conversion.test,
      payload,
      runAt: now + endpoint.delaySeconds * 1000,
      adjustmentId: adjustment.id,
    }));
    await outbox.enqueue(rows, now);
  };
}
