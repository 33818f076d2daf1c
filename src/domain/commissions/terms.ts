/**
 * Commission plan terms (DESIGN §3): the components of a plan or a per-affiliate deal, combinable
 * into hybrid deals. Money is in integer minor units of the program currency, rates in basis points.
 * A deal is merged over the plan component by component: a component the deal names replaces the
 * plan's, the others are inherited.
 */

/** How a player qualifies for the CPA, per vertical. */
export type Qualification =
  | {
      /** iGaming: first deposit ≥ minimum, optionally counting deposits within N hours of the first. */
      readonly kind: "ftd";
      readonly minDepositMinor: number;
      readonly cumulativeHours?: number;
    }
  | {
      /** Forex: ≥ N lots traded within D days of registration, or a posted `qualified_trader`. */
      readonly kind: "qualified_trader";
      readonly minLotsMilli: number;
      readonly withinDays: number;
      readonly minDepositMinor?: number;
    }
  | {
      /** Prop: challenge purchase ≥ minimum price, or an `evaluation_pass` / `funded` event. */
      readonly kind: "challenge";
      readonly minPriceMinor: number;
      readonly alsoEvents?: readonly string[];
    };

export interface Tier {
  /** From this many qualified players in the month (inclusive)… */
  readonly fromCount: number;
  /** …each further one is paid this CPA. */
  readonly amountMinor: number;
}

export interface CpaTerms {
  readonly amountMinor: number;
  readonly qualification: Qualification;
  /** Monthly tiers by count of qualified players, applied above the threshold only (never retroactively). */
  readonly tiers?: readonly Tier[];
  /** The CPA is clawed back when the qualifying event is reversed within this many days. */
  readonly clawbackDays: number;
}

export interface Terms {
  readonly cpa?: CpaTerms;
  /** % of `revenue` events (net revenue, may be negative). */
  readonly revshare?: { readonly bps: number; readonly negativeCarryOver: boolean };
  /** Amount per lot of `trade` events, optionally per instrument group (extra `instrument_group`). */
  readonly lotRebate?: { readonly perLotMinor: number; readonly groups?: Readonly<Record<string, number>> };
  /** % of challenge purchases and resets (prop); reversed on a refund within the window. */
  readonly percentOfSale?: {
    readonly bps: number;
    readonly events: readonly string[];
    readonly refundWindowDays: number;
  };
  /** Per calendar month (UTC) and affiliate: qualified CPAs paid, and total paid. */
  readonly cap?: { readonly cpaCount?: number; readonly amountMinor?: number };
  /** Entries stay pending this many days, then become approved unless reversed. */
  readonly holdDays?: number;
  /** The affiliate's parent earns this % of the affiliate's commission. */
  readonly parentOverrideBps?: number;
}

export const COMPONENTS = ["cpa", "revshare", "lotRebate", "percentOfSale"] as const;
export type Component = (typeof COMPONENTS)[number];

/** A deal merged over a plan: components the deal names win. */
export function mergeTerms(plan: Terms | undefined, deal: Terms | undefined): Terms | undefined {
  if (!deal) return plan;
  if (!plan) return deal;
  return { ...plan, ...deal };
}

/** Whether any component can earn money (a plan with nothing configured costs nothing). */
export function earnsAnything(terms: Terms): boolean {
  return COMPONENTS.some((c) => terms[c] !== undefined);
}
