/**
 * Compensating entries for the reversals of a batch: in proportion to the amount taken back,
 * cumulative over earlier reversals of the same original (domain/commissions/reverse.ts).
 */
import { periodOf } from "../../domain/commissions/exact.ts";
import { compensate, compensationState } from "../../domain/commissions/reverse.ts";
import type { ConversionRow, Ids, IngestTx } from "../ports.ts";
import type { LedgerEntry } from "./ledger-port.ts";

export async function reverseBatch(
  tx: IngestTx,
  reversals: readonly ConversionRow[],
  ids: Ids,
  now: number,
): Promise<LedgerEntry[]> {
  const originalIds = [...new Set(reversals.map((r) => r.reversesId!))];
  // Manual adjustments are the manager's decision: a reversal compensates what the rules wrote.
  const entries = (await tx.ledger.entriesOf(originalIds)).filter((e) => e.kind !== "adjustment");
  if (!entries.length) return [];
  // Totals include this batch's reversals (already inserted): subtract them to get "before".
  const totals = await tx.reversedTotals(originalIds);
  const inBatch = new Map<string, number>();
  for (const r of reversals)
    inBatch.set(r.reversesId!, (inBatch.get(r.reversesId!) ?? 0) + (r.amountMinor ?? 0));
  const before = new Map(originalIds.map((id) => [id, (totals.get(id) ?? 0) - (inBatch.get(id) ?? 0)]));
  const compensated = new Map(entries.map((e) => [e.id, e.compensatedMinor]));
  const out: LedgerEntry[] = [];
  for (const reversal of reversals) {
    const original = entries.filter((e) => e.conversionId === reversal.reversesId);
    if (!original.length) continue;
    const first = original[0]!;
    const lines = compensate(
      original.map((e) => ({ ...e, compensatedMinor: compensated.get(e.id) ?? 0 })),
      {
        originalAmountMinor: first.sourceAmountMinor,
        originalAt: first.occurredAt,
        reversedBeforeMinor: before.get(first.conversionId) ?? 0,
        reversedNowMinor: reversal.amountMinor,
        reversalAt: reversal.occurredAt,
      },
    );
    before.set(first.conversionId, (before.get(first.conversionId) ?? 0) + (reversal.amountMinor ?? 0));
    for (const line of lines) {
      const entry = original.find((e) => e.id === line.entryId)!;
      compensated.set(entry.id, (compensated.get(entry.id) ?? 0) + line.amountMinor);
      out.push({
        ...entry,
        id: ids.next("le"),
        conversionId: reversal.id,
        kind: entry.kind === "override" ? "override" : "clawback",
        amountMinor: line.amountMinor,
        sourceAmountMinor: reversal.amountMinor,
        sourceCurrency: reversal.currency,
        reason: reversal.event,
        reversesEntryId: entry.id,
        period: periodOf(reversal.occurredAt),
        explain: {
          rule: `${reversal.event}:proportional`,
          inputs: { entry: entry.id, reversed_minor: reversal.amountMinor },
          figure: line.figure,
          text: line.text,
        },
        occurredAt: reversal.occurredAt,
        createdAt: now,
        ...compensationState(entry, now),
        paidAt: null,
        payoutId: null,
      });
    }
  }
  return out;
}
