/**
 * Compensating entries for the reversals of a batch: in proportion to the amount taken back,
 * cumulative over earlier reversals of the same original (domain/commissions/reverse.ts).
 *
 * Floors (`negativeCarryOver: false`) are not compensated line by line: a month's floor depends on
 * everything the month holds, so where a reversal takes revshare out of (or back into) a month
 * whose terms do not carry negative revenue over, the floor of the reversal's month moves by what
 * keeps that month at no less than 0 (revshareFloorLine), as it does when revenue arrives.
 */
import { revshareFloorLine } from "../../domain/commissions/earn.ts";
import { periodOf } from "../../domain/commissions/exact.ts";
import { compensate, compensationState } from "../../domain/commissions/reverse.ts";
import type { IngestTx } from "../ingest/ingest-port.ts";
import type { Ids } from "../ports.ts";
import type { ConversionRow } from "../records.ts";
import type { LedgerEntry, PlanVersion } from "./ledger-port.ts";
import { termsAt } from "./plan-cache.ts";

const usageKey = (e: { affiliateId: number; programId: number; period: string }) =>
  `${e.affiliateId}:${e.programId}:${e.period}`;

/** Whether the terms in force for this affiliate and program at `at` floor months at 0. */
export function keepsMonthsAtZero(
  plans: ReadonlyMap<number, readonly PlanVersion[]>,
  programId: number,
  affiliateId: number,
  at: number,
): boolean {
  return termsAt(plans.get(programId) ?? [], affiliateId, at)?.terms.revshare?.negativeCarryOver === false;
}

/** The plan and deal in force for an entry's affiliate and program at its time, for its explanation. */
function sourceOf(plans: ReadonlyMap<number, readonly PlanVersion[]>, e: LedgerEntry) {
  const found = termsAt(plans.get(e.programId) ?? [], e.affiliateId, e.occurredAt);
  return { plan_id: found?.planId ?? null, deal_id: found?.dealId ?? null };
}

/**
 * Compensations (and floor moves) for the reversals of a batch. Where floors move, the caller holds
 * the month locks of the batch (LedgerTx.lockMonths) before this locks the originals' entries.
 */
export async function reverseBatch(
  tx: IngestTx,
  reversals: readonly ConversionRow[],
  ids: Ids,
  now: number,
  floors: {
    readonly plans: ReadonlyMap<number, readonly PlanVersion[]>;
    /** Entries this batch has decided already (earned revshare counts in its month's net). */
    readonly earlier: readonly LedgerEntry[];
  },
): Promise<LedgerEntry[]> {
  const originalIds = [...new Set(reversals.map((r) => r.reversesId!))];
  // Manual adjustments are the manager's decision: a reversal compensates what the rules wrote.
  // Floors are recomputed for the month instead (below).
  const entries = (await tx.ledger.entriesOf(originalIds)).filter(
    (e) => e.kind !== "adjustment" && e.kind !== "floor",
  );
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
          // The plan (or deal) whose entry this takes back (docs/commissions.md: every entry says).
          plan_id: entry.explain["plan_id"] ?? null,
          deal_id: entry.explain["deal_id"] ?? null,
        },
        occurredAt: reversal.occurredAt,
        createdAt: now,
        ...compensationState(entry, now),
        paidAt: null,
        payoutId: null,
      });
    }
  }
  return [...out, ...(await floorsFor(tx, out, reversals, ids, floors))];
}

/**
 * The floor lines for the revshare clawbacks in `clawbacks`, per affiliate, program and month of
 * the reversal, where the terms in force then do not carry negative revenue over.
 */
async function floorsFor(
  tx: IngestTx,
  clawbacks: readonly LedgerEntry[],
  reversals: readonly ConversionRow[],
  ids: Ids,
  floors: { plans: ReadonlyMap<number, readonly PlanVersion[]>; earlier: readonly LedgerEntry[] },
): Promise<LedgerEntry[]> {
  const floored = clawbacks.filter(
    (e) =>
      e.kind === "clawback" &&
      e.component === "revshare" &&
      keepsMonthsAtZero(floors.plans, e.programId, e.affiliateId, e.occurredAt),
  );
  if (!floored.length) return [];
  const keys = new Map(floored.map((e) => [usageKey(e), e]));
  // The month locks are held already (commission-effect.ts takes them before the entries').
  const net = new Map((await tx.ledger.usage([...keys.values()])).map((u) => [usageKey(u), u.revshareMinor]));
  for (const e of floors.earlier)
    if (e.kind === "commission" && e.component === "revshare" && net.has(usageKey(e)))
      net.set(usageKey(e), net.get(usageKey(e))! + e.amountMinor);
  const out: LedgerEntry[] = [];
  for (const reversal of reversals) {
    // One floor line per reversal and month: its clawbacks there, summed.
    const mine = new Map<string, LedgerEntry[]>();
    for (const e of floored.filter((x) => x.conversionId === reversal.id))
      mine.set(usageKey(e), [...(mine.get(usageKey(e)) ?? []), e]);
    for (const [key, lines] of mine) {
      const added = lines.reduce((sum, e) => sum + e.amountMinor, 0);
      const before = net.get(key) ?? 0;
      net.set(key, before + added);
      const line = revshareFloorLine(before, added);
      if (!line) continue;
      const like = lines[0]!;
      out.push({
        ...like,
        id: ids.next("le"),
        kind: "floor",
        amountMinor: line.amountMinor,
        reason: line.reason,
        reversesEntryId: null,
        windowDays: null,
        explain: { ...line.explain, text: line.text, ...sourceOf(floors.plans, like) },
      });
    }
  }
  return out;
}
