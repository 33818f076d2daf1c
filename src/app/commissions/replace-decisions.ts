/**
 * The first half of a recalculation under the plan now in force (domain/commissions/replan.ts):
 * of the conversions given, those whose latest commissions were decided under another plan or deal
 * version than the one in force at their time have what remains of each rule-made entry
 * compensated (a parent's overrides included), the floors of their months moved as the
 * compensations require, and their CPA qualifications released, so that deciding them again
 * (writeCommissions) starts from a ledger where they earned nothing. Manual adjustments are never
 * touched (recalculation-port.ts leaves such conversions out).
 */
import { revshareFloorLine } from "../../domain/commissions/earn.ts";
import { decidedUnderOtherVersion, replacementLines, versionOf } from "../../domain/commissions/replan.ts";
import { compensationState } from "../../domain/commissions/reverse.ts";
import type { IngestTx } from "../ingest/ingest-port.ts";
import type { ConversionRow } from "../records.ts";
import type { CommissionDeps } from "./commission-deps.ts";
import { playerKeyOfRow } from "./earn-batch.ts";
import type { LedgerEntry, PlanVersion } from "./ledger-port.ts";
import { termsAt } from "./plan-cache.ts";
import { keepsMonthsAtZero } from "./reverse-batch.ts";

const RULE_KINDS = new Set<LedgerEntry["kind"]>(["commission", "override"]);
const usageKey = (e: { affiliateId: number; programId: number; period: string }) =>
  `${e.affiliateId}:${e.programId}:${e.period}`;

export interface Replaced {
  /** The conversions whose decision was replaced. */
  readonly rows: readonly ConversionRow[];
  /** The compensations and floor moves written. */
  readonly entries: readonly LedgerEntry[];
}

/**
 * Compensates the stale decisions among `rows` (attributed originals of one transaction that holds
 * their month locks) and releases their qualifications; returns what it replaced and wrote.
 */
export async function replaceStaleDecisions(
  tx: IngestTx,
  rows: readonly ConversionRow[],
  deps: CommissionDeps,
  stamp: Readonly<Record<string, string>>,
): Promise<Replaced> {
  if (!rows.length) return { rows: [], entries: [] };
  const plans = await deps.plans.of(
    tx.ledger,
    rows.map((r) => r.programId!),
  );
  const current = (r: { programId: number; affiliateId: number; occurredAt: number }) => {
    const found = termsAt(plans.get(r.programId) ?? [], r.affiliateId, r.occurredAt);
    return { planId: found?.planId ?? null, dealId: found?.dealId ?? null };
  };
  // Each conversion's rule-made entries, grouped once (a run may hold tens of thousands).
  const byConversion = new Map<string, Array<LedgerEntry & { compensatedMinor: number }>>();
  for (const e of await tx.ledger.entriesOf(rows.map((r) => r.id))) {
    if (!RULE_KINDS.has(e.kind)) continue;
    const list = byConversion.get(e.conversionId);
    if (list) list.push(e);
    else byConversion.set(e.conversionId, [e]);
  }
  const stale = rows
    .map((r) => ({
      row: r,
      own: byConversion.get(r.id) ?? [],
      version: current({ programId: r.programId!, affiliateId: r.affiliateId!, occurredAt: r.occurredAt }),
    }))
    .filter(({ own, version }) =>
      decidedUnderOtherVersion(
        own.map((e) => ({ createdAt: e.createdAt, version: versionOf(e.explain) })),
        version,
      ),
    );
  if (!stale.length) return { rows: [], entries: [] };
  const now = deps.clock.now();
  const compensations: LedgerEntry[] = [];
  for (const { own, version } of stale) {
    for (const line of replacementLines(own, version)) {
      const entry = own.find((e) => e.id === line.entryId)!;
      compensations.push({
        ...entry,
        id: deps.ids.next("le"),
        kind: entry.kind === "override" ? "override" : "clawback",
        amountMinor: line.amountMinor,
        reason: "recalculation",
        reversesEntryId: entry.id,
        windowDays: null,
        explain: {
          rule: "recalculation:replaced",
          inputs: { entry: entry.id, plan_id_now: version.planId, deal_id_now: version.dealId },
          figure: line.figure,
          text: line.text,
          // The version whose entry this takes back (docs/commissions.md: every entry says).
          plan_id: entry.explain["plan_id"] ?? null,
          deal_id: entry.explain["deal_id"] ?? null,
          ...stamp,
        },
        createdAt: now,
        ...compensationState(entry, now),
        paidAt: null,
        payoutId: null,
      });
    }
  }
  const floors = await floorMoves(tx, compensations, plans, deps, stamp);
  await tx.ledger.releaseQualifications(
    stale.map(({ row: r }) => ({
      programId: r.programId!,
      operatorId: r.operatorId,
      playerKey: playerKeyOfRow(r),
      conversionId: r.id,
    })),
  );
  const written = [...compensations, ...floors];
  if (written.length)
    await tx.ledger.recordLater({ qualifications: [], entries: written }, () => new Error("unreachable"));
  return { rows: stale.map((s) => s.row), entries: written };
}

/**
 * Where compensated revshare leaves a month whose terms floor it at 0, the floor moves by what
 * keeps it there (as reversals do, reverse-batch.ts): one line per affiliate, program and month.
 */
async function floorMoves(
  tx: IngestTx,
  compensations: readonly LedgerEntry[],
  plans: ReadonlyMap<number, readonly PlanVersion[]>,
  deps: CommissionDeps,
  stamp: Readonly<Record<string, string>>,
): Promise<LedgerEntry[]> {
  const byMonth = new Map<string, LedgerEntry[]>();
  for (const e of compensations) {
    if (e.kind !== "clawback" || e.component !== "revshare") continue;
    if (!keepsMonthsAtZero(plans, e.programId, e.affiliateId, e.occurredAt)) continue;
    const lines = byMonth.get(usageKey(e));
    if (lines) lines.push(e);
    else byMonth.set(usageKey(e), [e]);
  }
  if (!byMonth.size) return [];
  // The month locks are held (the caller took them before reading the conversions).
  const usage = await tx.ledger.usage([...byMonth.values()].map((lines) => lines[0]!));
  const net = new Map(usage.map((u) => [usageKey(u), u.revshareMinor]));
  const out: LedgerEntry[] = [];
  for (const [key, lines] of byMonth) {
    const added = lines.reduce((sum, e) => sum + e.amountMinor, 0);
    const line = revshareFloorLine(net.get(key) ?? 0, added);
    if (!line) continue;
    const like = lines[0]!;
    out.push({
      ...like,
      id: deps.ids.next("le"),
      kind: "floor",
      amountMinor: line.amountMinor,
      reason: line.reason,
      reversesEntryId: null,
      explain: {
        ...line.explain,
        text: line.text,
        plan_id: like.explain["plan_id"] ?? null,
        deal_id: like.explain["deal_id"] ?? null,
        ...stamp,
      },
    });
  }
  return out;
}
