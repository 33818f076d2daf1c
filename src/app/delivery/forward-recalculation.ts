/**
 * The outbound side of a recalculation (DESIGN §3: commission changes are forwarded to affiliates):
 * inside the recalculation's transaction, one `adjusted` message per subscribed endpoint of each
 * conversion whose affiliate's commission it changed, reason code `recalculation`. `{payout}` is
 * what the recalculation changed (credited, or for a reversal or a replaced decision took back),
 * `{total_payout}` what the conversion pays its affiliate after it. The run id is the message's outbox key, so a message is
 * written once per (endpoint, conversion, run).
 */
import { ownPayouts } from "../commissions/commission-effect.ts";
import type { LedgerEntry } from "../commissions/ledger-port.ts";
import type { Payout } from "../ingest/ingest-port.ts";
import type { Clock, Ids } from "../ports.ts";
import type { ConversionRow } from "../records.ts";
import { subscribed } from "./outbound-effect.ts";
import { messageValues } from "./outbound-message.ts";
import type { NewDelivery, OutboxTx } from "./outbox-port.ts";

const RECALCULATION_REASON = "recalculation";

/** The affiliate's own lines per conversion, summed: what the recalculation changed for it. */
function deltas(rows: readonly ConversionRow[], entries: readonly LedgerEntry[]): Payout[] {
  return [...ownPayouts(entries, rows).values()].map((lines) => ({
    ...lines[0]!,
    amountMinor: lines.reduce((sum, l) => sum + l.amountMinor, 0),
  }));
}

/** Queues the messages of a recalculation; returns how many. */
export async function forwardRecalculation(
  deps: { readonly clock: Clock; readonly ids: Ids },
  outbox: OutboxTx,
  runId: string,
  rows: readonly ConversionRow[],
  entries: readonly LedgerEntry[],
  /** What each conversion paid its affiliate before the run (absent: nothing). */
  before: ReadonlyMap<string, number> = new Map(),
): Promise<number> {
  const changed = deltas(rows, entries).filter((d) => d.amountMinor !== 0);
  if (!changed.length) return 0;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const endpoints = await outbox.endpointsOf([...new Set(changed.map((d) => d.affiliateId))]);
  const originals = await outbox.conversions(
    rows.filter((r) => r.reversesId !== null).map((r) => r.reversesId!),
  );
  const clickIdOf = (r: ConversionRow) =>
    (r.reversesId ? originals.get(r.reversesId)?.clickId : undefined) ?? r.clickId;
  const clicks = await outbox.clicks(rows.map(clickIdOf).filter((id): id is string => id !== null));
  const now = deps.clock.now();
  const messages: NewDelivery[] = [];
  for (const delta of changed) {
    const conversion = byId.get(delta.conversionId)!;
    const original = conversion.reversesId ? originals.get(conversion.reversesId) : undefined;
    const event = original?.event ?? conversion.event;
    const clickId = clickIdOf(conversion);
    const payload = messageValues(
      {
        conversion,
        original,
        click: clickId ? clicks.get(clickId) : undefined,
        payouts: [delta],
        status: "adjusted",
        adjustment: {
          reasonCode: RECALCULATION_REASON,
          at: now,
          totalMinor: (before.get(delta.conversionId) ?? 0) + delta.amountMinor,
          currency: delta.currency,
        },
      },
      delta.affiliateId,
    );
    for (const endpoint of endpoints)
      if (endpoint.affiliateId === delta.affiliateId && subscribed(endpoint, conversion, event, "adjusted"))
        messages.push({
          id: deps.ids.next("dl"),
          endpointId: endpoint.id,
          affiliateId: delta.affiliateId,
          conversionId: conversion.id,
          status: "adjusted",
          test: false,
          payload,
          runAt: now + endpoint.delaySeconds * 1000,
          adjustmentId: runId,
        });
  }
  if (messages.length) await outbox.enqueue(messages, now);
  return messages.length;
}
