/**
 * Event types of the postback contract (DESIGN §2) and which fields each requires, by vertical.
 * A program may add its own event types (custom events need only `txid` and an identity).
 */
export const VERTICALS = ["igaming", "forex", "prop"] as const;
export type Vertical = (typeof VERTICALS)[number];

export const STANDARD_EVENT_TYPES = [
  "registration",
  "ftd",
  "deposit",
  "bonus",
  "revenue",
  "qualified_trader",
  "trade",
  "challenge_purchase",
  "evaluation_pass",
  "funded",
  "refund",
  "chargeback",
  "reversal",
] as const;
export type StandardEventType = (typeof STANDARD_EVENT_TYPES)[number];

/** Events that undo (part of) an earlier event named by `reverses`. */
export const REVERSAL_EVENT_TYPES = ["refund", "chargeback", "reversal"] as const;
export type ReversalEventType = (typeof REVERSAL_EVENT_TYPES)[number];

export interface EventRule {
  /** `amount` and `currency` must be present. */
  readonly requiresAmount: boolean;
  /** A negative amount is meaningful (net revenue). */
  readonly allowsNegative: boolean;
  /** `lots` must be present (forex volume). */
  readonly requiresLots: boolean;
  /** `reverses` must be present. */
  readonly isReversal: boolean;
}

const plain: EventRule = {
  requiresAmount: false,
  allowsNegative: false,
  requiresLots: false,
  isReversal: false,
};
const money: EventRule = { ...plain, requiresAmount: true };

export const EVENT_RULES: Readonly<Record<StandardEventType, EventRule>> = {
  registration: plain,
  ftd: money,
  deposit: money,
  bonus: money,
  revenue: { ...money, allowsNegative: true },
  qualified_trader: plain,
  trade: { ...plain, requiresLots: true },
  challenge_purchase: money,
  evaluation_pass: plain,
  funded: plain,
  refund: { ...plain, isReversal: true },
  chargeback: { ...plain, isReversal: true },
  reversal: { ...plain, isReversal: true },
};

/** Default event set a new program of each vertical allows (the manager may edit it). */
export const VERTICAL_DEFAULT_EVENTS: Readonly<Record<Vertical, readonly StandardEventType[]>> = {
  igaming: ["registration", "ftd", "deposit", "bonus", "revenue", "refund", "chargeback", "reversal"],
  forex: [
    "registration",
    "ftd",
    "deposit",
    "qualified_trader",
    "trade",
    "revenue",
    "refund",
    "chargeback",
    "reversal",
  ],
  prop: [
    "registration",
    "challenge_purchase",
    "evaluation_pass",
    "funded",
    "refund",
    "chargeback",
    "reversal",
  ],
};

/** Names a program may give its own events: lower snake case, not clashing with standard ones. */
export const CUSTOM_EVENT_PATTERN = /^[a-z][a-z0-9_]{1,39}$/;

export function isStandardEventType(name: string): name is StandardEventType {
  return Object.hasOwn(EVENT_RULES, name);
}

/** The rule for an event type; custom (program-defined) events carry optional money and no lots. */
export function eventRule(name: string): EventRule {
  return isStandardEventType(name) ? EVENT_RULES[name] : plain;
}
