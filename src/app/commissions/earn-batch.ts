/**
 * Ledger entries for the new (non-reversal) conversions of a batch. Loads, in bulk, what the pure
 * rules need (players qualified already, their history, month usage, parents, FX rates), then
 * decides conversion by conversion in time order, so items of one batch see each other (one CPA
 * per player, a cap reached mid-batch). The caller records the qualifications with the entries.
 */
import { type EarnInput, earn, type Line, overrideLines } from "../../domain/commissions/earn.ts";
import { convert, type Fx, periodOf } from "../../domain/commissions/exact.ts";
import { type PlayerEvent, qualifyingEvents } from "../../domain/commissions/qualify.ts";
import type { Terms } from "../../domain/commissions/terms.ts";
import type { IngestTx } from "../ingest/ingest-port.ts";
import type { ConversionRow } from "../records.ts";
import { type CommissionDeps, clickTime } from "./commission-deps.ts";
import {
  type LedgerEntry,
  type PlanVersion,
  type ProgramTerms,
  playerKeyOf,
  type Qualification,
  type RateVersion,
  type UsageRow,
} from "./ledger-port.ts";
import { rateAt, termsAt } from "./plan-cache.ts";

const DAY = 86_400_000;

interface Item {
  readonly row: ConversionRow;
  readonly program: ProgramTerms;
  readonly terms: Terms;
  readonly source: { planId: number | null; dealId: number | null };
  readonly playerKey: string;
  readonly cpaCandidate: boolean;
}

/** The key a conversion's CPA qualification is held under: its player, else its click, else itself. */
export const playerKeyOfRow = (r: ConversionRow): string =>
  r.playerId ?? (r.clickId ? `click:${r.clickId}` : `conversion:${r.id}`);
const usageKey = (affiliateId: number, programId: number, period: string) =>
  `${affiliateId}:${programId}:${period}`;

async function itemsOf(
  tx: IngestTx,
  rows: readonly ConversionRow[],
  plans: ReadonlyMap<number, readonly PlanVersion[]>,
  deps: CommissionDeps,
): Promise<Item[]> {
  const programs = await deps.plans.programs(
    tx.ledger,
    rows.map((r) => r.programId!),
  );
  const items: Item[] = [];
  for (const row of rows) {
    const found = termsAt(plans.get(row.programId!) ?? [], row.affiliateId!, row.occurredAt);
    const program = programs.get(row.programId!);
    if (!found || !program) continue;
    const cpa = found.terms.cpa;
    const cpaCandidate = cpa !== undefined && qualifyingEvents(cpa.qualification).includes(row.event);
    items.push({
      row,
      program,
      terms: found.terms,
      source: found,
      playerKey: playerKeyOfRow(row),
      cpaCandidate,
    });
  }
  return items.sort((a, b) => a.row.occurredAt - b.row.occurredAt || (a.row.id < b.row.id ? -1 : 1));
}

function fxOf(
  rates: readonly RateVersion[],
  currency: string | null,
  to: string,
  at: number,
): Fx | "missing" | undefined {
  if (currency === null || currency === to) return undefined;
  const rate = rateAt(rates, currency, to, at);
  return rate === undefined ? "missing" : { from: currency, to, rate };
}

interface Loaded {
  readonly qualified: Set<string>;
  readonly history: Map<string, PlayerEvent[]>;
  readonly registered: Map<string, number>;
  readonly usage: Map<string, UsageRow>;
  readonly parents: Map<number, number>;
  readonly rates: RateVersion[];
}

async function load(tx: IngestTx, items: readonly Item[], batchIds: Set<string>): Promise<Loaded> {
  const ledger = tx.ledger;
  const candidates = items.filter((i) => i.cpaCandidate);
  const keyOf = (i: Item) => ({
    programId: i.program.id,
    operatorId: i.row.operatorId,
    playerKey: i.playerKey,
  });
  const months = [
    ...new Map(
      items.map((i) => [
        usageKey(i.row.affiliateId!, i.program.id, periodOf(i.row.occurredAt)),
        { affiliateId: i.row.affiliateId!, programId: i.program.id, period: periodOf(i.row.occurredAt) },
      ]),
    ).values(),
  ];
  // Caps and revshare floors read the month's usage and then write it: lock the months first.
  const lock = items.some((i) => i.terms.cap !== undefined || i.terms.revshare?.negativeCarryOver === false);
  const read = await ledger.earnReads({
    qualified: candidates.map(keyOf),
    // Only a player who has not qualified yet needs its history (the rules' `player` input).
    history: candidates.flatMap((i) =>
      i.row.playerId === null ? [] : [{ key: keyOf(i), playerId: i.row.playerId }],
    ),
    months,
    ...(lock ? { lockMonths: months } : {}),
  });
  const { qualified, events, boundAt } = read;
  const pairs = new Map<string, { base: string; quote: string }>();
  for (const c of [
    ...items.map((i) => ({ currency: i.row.currency, to: i.program.currency })),
    ...events.map((e) => ({ currency: e.currency, to: items[0]!.program.currency })),
  ])
    if (c.currency && c.currency !== c.to)
      pairs.set(`${c.currency}:${c.to}`, { base: c.currency, quote: c.to });
  const rates = pairs.size ? await ledger.rates([...pairs.values()]) : [];
  const history = new Map<string, PlayerEvent[]>();
  for (const e of events) {
    if (batchIds.has(e.conversionId)) continue;
    const program = items.find(
      (i) => i.row.operatorId === e.operatorId && i.row.playerId === e.playerId,
    )!.program;
    const fx = fxOf(rates, e.currency, program.currency, e.occurredAt);
    const amount = e.amountMinor === null || fx === "missing" ? null : convert(e.amountMinor, fx);
    const key = `${e.operatorId}:${e.playerId}`;
    const list = history.get(key) ?? [];
    list.push({ event: e.event, at: e.occurredAt, amountMinor: amount, lotsMilli: e.lotsMilli });
    history.set(key, list);
  }
  // Locked: read in a statement of its own, after the locks (earnReads).
  const usageRows = read.usage ?? (await ledger.usage(months));
  const usage = new Map(usageRows.map((u) => [usageKey(u.affiliateId, u.programId, u.period), u]));
  const withParent = items.filter((i) => i.terms.parentOverrideBps);
  const parents = withParent.length
    ? await ledger.parents(withParent.map((i) => i.row.affiliateId!))
    : new Map<number, number>();
  return { qualified, history, registered: boundAt, usage, parents, rates };
}

function entryOf(
  item: Item,
  line: Line,
  affiliateId: number,
  kind: LedgerEntry["kind"],
  fx: Fx | "missing" | undefined,
  id: string,
  now: number,
): LedgerEntry {
  const r = item.row;
  const holdDays = item.terms.holdDays ?? 0;
  const approved = holdDays <= 0;
  return {
    id,
    conversionId: r.id,
    operatorId: r.operatorId,
    programId: item.program.id,
    affiliateId,
    playerKey: item.playerKey,
    kind,
    component: line.component,
    status: approved ? "approved" : "pending",
    amountMinor: line.amountMinor,
    currency: item.program.currency,
    sourceAmountMinor: r.amountMinor,
    sourceCurrency: r.currency,
    fxRate: fx && fx !== "missing" ? fx.rate : null,
    reason: line.reason,
    windowDays: line.windowDays,
    reversesEntryId: null,
    period: periodOf(r.occurredAt),
    explain: { ...line.explain, text: line.text, plan_id: item.source.planId, deal_id: item.source.dealId },
    occurredAt: r.occurredAt,
    createdAt: now,
    approveAt: now + holdDays * DAY,
    approvedAt: approved ? now : null,
    paidAt: null,
    payoutId: null,
  };
}

/** Decides the batch in time order: its entries, and the CPA qualifications they record. */
export async function earnBatch(
  tx: IngestTx,
  rows: readonly ConversionRow[],
  plans: ReadonlyMap<number, readonly PlanVersion[]>,
  deps: CommissionDeps,
  now: number,
  /** Click times verified at ingest (the rest are verified here). */
  clickTimes: ReadonlyMap<string, number> = new Map(),
): Promise<{ entries: LedgerEntry[]; qualifications: Qualification[] }> {
  const items = await itemsOf(tx, rows, plans, deps);
  if (!items.length) return { entries: [], qualifications: [] };
  const state = await load(tx, items, new Set(rows.map((r) => r.id)));
  const entries: LedgerEntry[] = [];
  const qualifications: Qualification[] = [];
  for (const item of items) {
    const r = item.row;
    const period = periodOf(r.occurredAt);
    const key = { programId: item.program.id, operatorId: r.operatorId, playerKey: item.playerKey };
    const uKey = usageKey(r.affiliateId!, item.program.id, period);
    const usage = state.usage.get(uKey) ?? {
      affiliateId: r.affiliateId!,
      programId: item.program.id,
      period,
      qualified: 0,
      paidCpa: 0,
      paidMinor: 0,
      revshareMinor: 0,
    };
    const hKey = `${r.operatorId}:${r.playerId}`;
    const history = state.history.get(hKey) ?? [];
    const fx = fxOf(state.rates, r.currency, item.program.currency, r.occurredAt);
    const open = item.cpaCandidate && !state.qualified.has(playerKeyOf(key));
    const input: EarnInput = {
      conversion: {
        event: r.event,
        amountMinor: r.amountMinor,
        currency: r.currency,
        lotsMilli: r.lotsMilli,
        occurredAt: r.occurredAt,
        extra: r.extra,
        clickAt:
          r.clickId === null ? null : (clickTimes.get(r.clickId) ?? clickTime(deps.clickSecrets, r.clickId)),
      },
      terms: item.terms,
      programCurrency: item.program.currency,
      lookbackDays: item.program.lookbackDays,
      fx,
      player: open ? { events: history, registeredAt: state.registered.get(hKey) ?? null } : null,
      usage,
    };
    const result = earn(input);
    const amount = r.amountMinor === null || fx === "missing" ? null : convert(r.amountMinor, fx);
    if (r.playerId !== null)
      state.history.set(hKey, [
        ...history,
        { event: r.event, at: r.occurredAt, amountMinor: amount, lotsMilli: r.lotsMilli },
      ]);
    const cpa = result.lines.find((l) => l.component === "cpa");
    if (result.qualified) {
      state.qualified.add(playerKeyOf(key));
      const paid = cpa !== undefined && cpa.amountMinor > 0;
      qualifications.push({
        ...key,
        affiliateId: r.affiliateId!,
        conversionId: r.id,
        period,
        paid,
        qualifiedAt: r.occurredAt,
      });
    }
    const earned = result.lines.filter((l) => l.kind !== "floor");
    const positive = earned.reduce((s, l) => s + Math.max(0, l.amountMinor), 0);
    const revshare = earned.reduce((s, l) => s + (l.component === "revshare" ? l.amountMinor : 0), 0);
    state.usage.set(uKey, {
      ...usage,
      revshareMinor: usage.revshareMinor + revshare,
      qualified: usage.qualified + (result.qualified ? 1 : 0),
      paidCpa: usage.paidCpa + (cpa && cpa.amountMinor > 0 ? 1 : 0),
      paidMinor: usage.paidMinor + positive,
    });
    for (const line of result.lines)
      entries.push(
        entryOf(item, line, r.affiliateId!, line.kind ?? "commission", fx, deps.ids.next("le"), now),
      );
    const parent = state.parents.get(r.affiliateId!);
    if (parent !== undefined && item.terms.parentOverrideBps)
      for (const line of overrideLines(result.lines, item.terms.parentOverrideBps))
        entries.push(entryOf(item, line, parent, "override", fx, deps.ids.next("le"), now));
  }
  return { entries, qualifications };
}
