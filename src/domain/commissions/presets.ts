/**
 * Vertical presets: a sensible default plan a new program of each vertical starts from; the manager
 * edits it (amounts are in minor units of the program currency).
 */
import type { Vertical } from "../event-types.ts";
import type { Terms } from "./terms.ts";

export const PLAN_PRESETS: Readonly<Record<Vertical, Terms>> = {
  igaming: {
    cpa: { amountMinor: 10_000, qualification: { kind: "ftd", minDepositMinor: 2_000 }, clawbackDays: 30 },
    revshare: { bps: 2_500, negativeCarryOver: false },
    holdDays: 30,
  },
  forex: {
    cpa: {
      amountMinor: 30_000,
      qualification: {
        kind: "qualified_trader",
        minLotsMilli: 1_000,
        withinDays: 30,
        minDepositMinor: 10_000,
      },
      clawbackDays: 60,
    },
    lotRebate: { perLotMinor: 500 },
    holdDays: 14,
  },
  prop: {
    percentOfSale: { bps: 1_500, events: ["challenge_purchase", "challenge_reset"], refundWindowDays: 14 },
    holdDays: 14,
  },
};
