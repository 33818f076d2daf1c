/**
 * The commission effect (DESIGN §3): inside the ingest transaction, after the batch's conversions
 * are inserted, write their ledger entries and fill `context.payouts` for the outbound effect.
 * Test conversions and unattributed ones earn nothing; a batch whose programs have no plan costs a
 * cached map lookup. The state the rules need is loaded in bulk for the whole batch.
 */
import { addStep, type PostbackTrace } from "../../domain/postback-trace.ts";
import { LostRaceError } from "../ingest/commit-postbacks.ts";
import type { ConversionEffect, EffectContext, IngestTx, Payout } from "../ingest/ingest-port.ts";
import type { ConversionRow } from "../records.ts";
import type { CommissionDeps } from "./commission-deps.ts";
import { earnBatch } from "./earn-batch.ts";
import type { LedgerEntry, Qualification } from "./ledger-port.ts";
import { keepsMonthsAtZero, reverseBatch } from "./reverse-batch.ts";

/**
 * The affiliate's own lines of each conversion, by conversion id (a parent's overrides are not its
 * money): what `{payout}` carries, and what a recalculation forwards.
 */
export function ownPayouts(
  entries: readonly LedgerEntry[],
  rows: readonly ConversionRow[],
): Map<string, Payout[]> {
  const owner = new Map(rows.map((r) => [r.id, r.affiliateId]));
  const out = new Map<string, Payout[]>();
  for (const e of entries) {
    if (e.kind === "override" || owner.get(e.conversionId) !== e.affiliateId) continue;
    const payout: Payout = {
      conversionId: e.conversionId,
      affiliateId: e.affiliateId,
      amountMinor: e.amountMinor,
      currency: e.currency,
      status: e.status,
    };
    const list = out.get(e.conversionId);
    if (list) list.push(payout);
    else out.set(e.conversionId, [payout]);
  }
  return out;
}

/** Adds the affiliate's own lines of each conversion to the effect context (for `{payout}`). */
function fillPayouts(
  entries: readonly LedgerEntry[],
  rows: readonly ConversionRow[],
  context: EffectContext,
): void {
  for (const [id, payouts] of ownPayouts(entries, rows)) {
    const list = context.payouts.get(id);
    if (list) list.push(...payouts);
    else context.payouts.set(id, payouts);
  }
}

/**
 * Decides and records the ledger entries of `rows` (attributed, live conversions of one
 * transaction) by the plan in force at each one's time, and returns them. `stamp` adds to every
 * entry's explanation (a recalculation names itself). Reversals compensate entries recorded
 * before this call: a caller with both an original and its reversal calls twice, originals first.
 */
export async function writeCommissions(
  tx: IngestTx,
  rows: readonly ConversionRow[],
  deps: CommissionDeps,
  clickTimes: ReadonlyMap<string, number>,
  stamp: Readonly<Record<string, string>> = {},
): Promise<LedgerEntry[]> {
  if (!rows.length) return [];
  const plans = await deps.plans.of(
    tx.ledger,
    rows.map((r) => r.programId!),
  );
  const planned = rows.filter((r) => plans.get(r.programId!)?.length);
  if (!planned.length) return [];
  const now = deps.clock.now();
  const reversals = planned.filter((r) => r.reversesId !== null);
  const earners = planned.filter((r) => r.reversesId === null);
  let entries: LedgerEntry[] = [];
  const qualifications: Qualification[] = [];
  const floors = reversals.some((r) => keepsMonthsAtZero(plans, r.programId!, r.affiliateId!, r.occurredAt));
  // Reversals move floors after locking the originals' entries, and earning locks its months
  // first: take every month lock of the batch now, in one ordered call, so two batches never
  // hold one kind each while waiting for the other (PostgreSQL; SQLite has one writer).
  if (floors)
    await tx.ledger.lockMonths(
      planned.map((r) => ({ affiliateId: r.affiliateId!, programId: r.programId! })),
    );
  if (earners.length) {
    const earned = await earnBatch(tx, earners, plans, deps, now, clickTimes);
    entries.push(...earned.entries);
    qualifications.push(...earned.qualifications);
  }
  if (reversals.length)
    entries.push(...(await reverseBatch(tx, reversals, deps.ids, now, { plans, earlier: [...entries] })));
  if (!entries.length && !qualifications.length) return [];
  if (Object.keys(stamp).length)
    entries = entries.map((e) => ({ ...e, explain: { ...e.explain, ...stamp } }));
  await tx.ledger.recordLater(
    { qualifications, entries },
    () => new LostRaceError("a CPA qualification of this batch"),
  );
  return entries;
}

export function createCommissionEffect(deps: CommissionDeps): ConversionEffect {
  return async (tx: IngestTx, committed, context) => {
    const rows = committed.filter((r) => !r.test && r.affiliateId !== null && r.programId !== null);
    const entries = await writeCommissions(tx, rows, deps, context.clickTimes);
    if (entries.length) fillPayouts(entries, rows, context);
    if (context.traces) traceCommissions(context.traces, entries);
  };
}

/** The commissions step of each traced conversion that earned: every entry with its explanation. */
function traceCommissions(traces: ReadonlyMap<string, PostbackTrace>, entries: readonly LedgerEntry[]): void {
  for (const [conversionId, trace] of traces) {
    const own = entries.filter((e) => e.conversionId === conversionId);
    if (!own.length) continue;
    const verb = trace.mode === "validate_only" ? "would be written (rolled back)" : "written";
    addStep(
      trace,
      "commissions",
      "passed",
      `${own.length} ledger entr${own.length === 1 ? "y" : "ies"} ${verb}.`,
      {
        entries: own.map(entryDetails),
      },
    );
  }
}

/** A ledger entry as a trace shows it: who, what, how much, and its own explanation. */
export function entryDetails(e: LedgerEntry): Record<string, unknown> {
  return {
    affiliate_id: e.affiliateId,
    kind: e.kind,
    component: e.component,
    status: e.status,
    amount_minor: e.amountMinor,
    currency: e.currency,
    reason: e.reason,
    explain: e.explain,
  };
}
