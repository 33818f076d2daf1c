/**
 * What one new (non-reversal) conversion earns under the terms in force (pure; time passed in).
 * Each line explains itself: the rule, its inputs and the figure, in data and in words.
 */
import { bpsOf, convert, type Fx, share } from "./exact.ts";
import { type PlayerHistory, qualifies } from "./qualify.ts";
import type { Component, CpaTerms, Terms } from "./terms.ts";

const DAY = 86_400_000;

export interface EarnEvent {
  readonly event: string;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly lotsMilli: number | null;
  readonly occurredAt: number;
  readonly extra: Readonly<Record<string, string>>;
  /** When the click was issued (from the click id), null when unknown. */
  readonly clickAt: number | null;
}

/** Counts for the affiliate in this program and month, before this conversion. */
export interface Usage {
  /** Players who qualified this month (tiers count them all, capped or not). */
  readonly qualified: number;
  /** CPAs actually paid this month (the count cap). */
  readonly paidCpa: number;
  /** Total positive commission this month (the amount cap). */
  readonly paidMinor: number;
  /** Net revshare written this month before floors (for `negativeCarryOver: false`); 0 when unknown. */
  readonly revshareMinor?: number;
}

export interface EarnInput {
  readonly conversion: EarnEvent;
  readonly terms: Terms;
  readonly programCurrency: string;
  readonly lookbackDays: number;
  /** How the event currency reaches the program currency; "missing" when no rate is in force. */
  readonly fx: Fx | "missing" | undefined;
  /** The player's history, or null when the player already qualified (or is unknown). */
  readonly player: PlayerHistory | null;
  readonly usage: Usage;
}

export interface Explain {
  readonly rule: string;
  readonly inputs: Readonly<Record<string, string | number | null>>;
  readonly figure: string;
}

export interface Line {
  readonly component: Component;
  readonly amountMinor: number;
  /** Why the line pays less than its rule would (cap_reached, lookback_expired, no_fx_rate), or null. */
  readonly reason: string | null;
  readonly explain: Explain;
  /** Words: the explanation for people. */
  readonly text: string;
  /** Days after the event within which a reversal claws this line back; null = always. */
  readonly windowDays: number | null;
  /** `floor`: keeps the month's revshare from going below 0 (`negativeCarryOver: false`). */
  readonly kind?: "floor";
}

export interface Earned {
  readonly lines: Line[];
  /** The player qualified for the CPA with this conversion. */
  readonly qualified: boolean;
}

function tierAmount(cpa: CpaTerms, nth: number): number {
  let amount = cpa.amountMinor;
  for (const tier of cpa.tiers ?? []) if (nth >= tier.fromCount) amount = tier.amountMinor;
  return amount;
}

function cpaLine(input: EarnInput, cpa: CpaTerms): Line {
  const nth = input.usage.qualified + 1;
  const amount = tierAmount(cpa, nth);
  const tiered = amount !== cpa.amountMinor;
  return {
    component: "cpa",
    amountMinor: amount,
    reason: null,
    explain: {
      rule: `cpa:${cpa.qualification.kind}`,
      inputs: { qualified_this_month: nth, base_minor: cpa.amountMinor },
      figure: `${amount}`,
    },
    text: `CPA for a ${cpa.qualification.kind} qualification: player #${nth} this month, ${tiered ? "tier" : "base"} amount ${amount}.`,
    windowDays: cpa.clawbackDays,
  };
}

function percentLine(component: Component, bps: number, input: EarnInput, windowDays: number | null): Line {
  const c = input.conversion;
  const fx = input.fx === "missing" ? undefined : input.fx;
  const amount = bpsOf(c.amountMinor ?? 0, bps, fx);
  const via = fx ? ` × rate ${fx.rate} ${fx.from}→${fx.to}` : "";
  return {
    component,
    amountMinor: amount,
    reason: null,
    explain: {
      rule: `${component}:bps`,
      inputs: { amount_minor: c.amountMinor, currency: c.currency, bps, rate: fx?.rate ?? null },
      figure: `${c.amountMinor} × ${bps}/10000${via} = ${amount}`,
    },
    text: `${bps / 100}% of ${c.event} ${c.amountMinor} ${c.currency}${via}, rounded half away from zero: ${amount}.`,
    windowDays,
  };
}

function rebateLine(input: EarnInput, rebate: NonNullable<Terms["lotRebate"]>): Line {
  const c = input.conversion;
  const group = c.extra["instrument_group"] ?? null;
  const perLot = (group !== null ? rebate.groups?.[group] : undefined) ?? rebate.perLotMinor;
  const lots = c.lotsMilli ?? 0;
  const amount = share(lots, BigInt(perLot), 1000n);
  return {
    component: "lotRebate",
    amountMinor: amount,
    reason: null,
    explain: {
      rule: "lot_rebate",
      inputs: { lots_milli: lots, per_lot_minor: perLot, group },
      figure: `${lots}/1000 × ${perLot} = ${amount}`,
    },
    text: `Rebate of ${perLot} per lot${group ? ` (group ${group})` : ""} on ${lots / 1000} lots: ${amount}.`,
    windowDays: null,
  };
}

function rawLines(input: EarnInput): Earned {
  const { terms, conversion: c } = input;
  const lines: Line[] = [];
  let qualified = false;
  if (terms.cpa && input.player) {
    const fx = input.fx === "missing" ? undefined : input.fx;
    const amount = c.amountMinor === null ? null : input.fx === "missing" ? null : convert(c.amountMinor, fx);
    qualified = qualifies(terms.cpa.qualification, input.player, {
      event: c.event,
      at: c.occurredAt,
      amountMinor: amount,
      lotsMilli: c.lotsMilli,
    });
    if (qualified) lines.push(cpaLine(input, terms.cpa));
  }
  if (terms.revshare && c.event === "revenue" && c.amountMinor !== null)
    lines.push(percentLine("revshare", terms.revshare.bps, input, null));
  if (terms.lotRebate && c.event === "trade" && c.lotsMilli !== null)
    lines.push(rebateLine(input, terms.lotRebate));
  const sale = terms.percentOfSale;
  if (sale?.events.includes(c.event) && c.amountMinor !== null)
    lines.push(percentLine("percentOfSale", sale.bps, input, sale.refundWindowDays));
  return { lines, qualified };
}

const zeroed = (line: Line, reason: string, why: string): Line => ({
  ...line,
  amountMinor: 0,
  reason,
  text: `${line.text} Paid 0: ${why}.`,
});

/** What keeps a month's net revshare from going below 0: `max(0, -net)` after minus before. */
export function floorOf(before: number, added: number): number {
  return Math.max(0, -(before + added)) - Math.max(0, -before);
}

/**
 * The `floor` line that keeps a month's revshare at no less than 0 when `added` joins a month whose
 * net revshare (before floors) was `before`: positive when the month dips below 0, negative when
 * later revenue lifts it back; undefined when the floor does not move.
 */
export function revshareFloorLine(before: number, added: number): Line | undefined {
  const amount = floorOf(before, added);
  if (amount === 0) return undefined;
  const after = before + added;
  return {
    component: "revshare",
    amountMinor: amount,
    reason: "negative_not_carried",
    explain: {
      rule: "revshare:no_negative_carry_over",
      inputs: { month_net_before_minor: before, line_minor: added },
      figure: `max(0, -(${after})) - max(0, -(${before})) = ${amount}`,
    },
    text: `Negative revenue does not carry over: this month's revshare goes from ${before} to ${after}, so the floor moves by ${amount} to keep the month at no less than 0.`,
    windowDays: null,
    kind: "floor",
  };
}

/** `negativeCarryOver: false`: the month's revshare is floored at 0 (revshareFloorLine). */
function floorLine(input: EarnInput, lines: readonly Line[]): Line | undefined {
  const revshare = lines.find((l) => l.component === "revshare");
  if (!revshare || input.terms.revshare?.negativeCarryOver !== false) return undefined;
  return revshareFloorLine(input.usage.revshareMinor ?? 0, revshare.amountMinor);
}

/** Lookback, currency, then caps: a line that cannot be paid is recorded at 0 with the reason. */
export function earn(input: EarnInput): Earned {
  const { lines, qualified } = capped(input);
  const floor = floorLine(input, lines);
  return { lines: floor ? [...lines, floor] : lines, qualified };
}

function capped(input: EarnInput): Earned {
  const { lines, qualified } = rawLines(input);
  const c = input.conversion;
  const lookbackEnd = c.clickAt === null ? Infinity : c.clickAt + input.lookbackDays * DAY;
  let paidMinor = input.usage.paidMinor;
  const capped = lines.map((line) => {
    if (c.occurredAt > lookbackEnd)
      return zeroed(
        line,
        "lookback_expired",
        `the click is older than the ${input.lookbackDays}-day lookback window`,
      );
    if (input.fx === "missing" && line.component !== "cpa" && line.component !== "lotRebate")
      return zeroed(line, "no_fx_rate", `no ${c.currency}→${input.programCurrency} rate in force`);
    const cap = input.terms.cap;
    if (line.component === "cpa" && cap?.cpaCount !== undefined && input.usage.paidCpa >= cap.cpaCount)
      return zeroed(line, "cap_reached", `the monthly cap of ${cap.cpaCount} CPAs is reached`);
    if (cap?.amountMinor !== undefined && line.amountMinor > 0) {
      const left = Math.max(0, cap.amountMinor - paidMinor);
      if (line.amountMinor > left) {
        paidMinor += left;
        return {
          ...zeroed(line, "cap_reached", `the monthly cap of ${cap.amountMinor} is reached`),
          amountMinor: left,
        };
      }
    }
    if (line.amountMinor > 0) paidMinor += line.amountMinor;
    return line;
  });
  return { lines: capped, qualified };
}

/** The parent's lines: `bps` of each child line (signed), rounded once per line. */
export function overrideLines(child: readonly Line[], bps: number): Line[] {
  return child
    .filter((line) => line.amountMinor !== 0)
    .map((line) => {
      const amount = bpsOf(line.amountMinor, bps);
      return {
        component: line.component,
        amountMinor: amount,
        reason: null,
        explain: {
          rule: "sub_affiliate_override",
          inputs: { child_minor: line.amountMinor, bps },
          figure: `${line.amountMinor} × ${bps}/10000 = ${amount}`,
        },
        text: `Sub-affiliate override: ${bps / 100}% of the sub-affiliate's ${line.component} ${line.amountMinor}: ${amount}.`,
        windowDays: line.windowDays,
      };
    });
}
