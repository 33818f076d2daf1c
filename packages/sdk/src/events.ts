/**
 * Typed postback events, by vertical (docs/integration.md §2-§3), and their wire parameters.
 * Names are camelCase here and snake_case on the wire (`clickId` → `click_id`).
 */

/** Default event sets of a new program per vertical (the network may change a program's set). */
export const VERTICAL_EVENTS = {
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
} as const;
export type Vertical = keyof typeof VERTICAL_EVENTS;
export type VerticalEventName<V extends Vertical> = (typeof VERTICAL_EVENTS)[V][number];

/** Fields every event may carry. */
export interface BaseEvent {
  /** Your unique id of this event: the idempotency key, the same on every retry (1-128 printable characters). */
  readonly txid: string;
  /** The click id Postwire put in your landing URL; needed until a player is linked. */
  readonly clickId?: string;
  /** Your customer id; links later events to the first click. */
  readonly playerId?: string;
  /** When it happened: a Date, ISO 8601 with a time zone, or unix seconds. Default: receipt time. */
  readonly occurredAt?: Date | string | number;
  /** Any tag of yours, kept as received. */
  readonly subId?: string;
  /** Which of your programs, when the event carries no click or player that tells. */
  readonly programId?: number | string;
  /** Test mode: the full pipeline, flagged, no money (sent as `test=1`). */
  readonly test?: boolean;
  /** Other parameters, kept with the conversion as received. Names must not be contract names. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** An exact decimal string (`"100.50"`), never a float; at most the currency's ISO 4217 decimals. */
export type DecimalString = string;

export interface Money {
  readonly amount: DecimalString;
  /** ISO 4217 code, e.g. `EUR`. */
  readonly currency: string;
}
type OptionalMoney = Partial<Money>;

/** The fields each standard event takes beyond BaseEvent. */
export interface EventFields {
  readonly registration: OptionalMoney;
  readonly ftd: Money;
  readonly deposit: Money;
  readonly bonus: Money;
  /** Net revenue for a period; may be negative (`"-12.30"`). */
  readonly revenue: Money;
  readonly qualified_trader: OptionalMoney;
  /** Forex volume: `lots` is a positive decimal string with at most 3 decimals. */
  readonly trade: OptionalMoney & { readonly lots: DecimalString };
  readonly challenge_purchase: Money;
  readonly evaluation_pass: OptionalMoney;
  readonly funded: OptionalMoney;
  /** `reverses`: the txid of the event undone; `amount` for a partial reversal. */
  readonly refund: OptionalMoney & { readonly reverses: string };
  readonly chargeback: OptionalMoney & { readonly reverses: string };
  readonly reversal: OptionalMoney & { readonly reverses: string };
}
export type StandardEventName = keyof EventFields;

/** One standard event, discriminated by `event`. */
export type StandardEvent<N extends StandardEventName = StandardEventName> = {
  [K in N]: BaseEvent & EventFields[K] & { readonly event: K; readonly lots?: DecimalString };
}[N];

/** A program's own event type (e.g. `kyc_passed`), declared in the client's `customEvents`. */
export type CustomEvent<N extends string> = BaseEvent &
  OptionalMoney & { readonly event: N; readonly lots?: DecimalString };

/** The events a client accepts: its vertical's standard events (all when no vertical) and its custom ones. */
export type PostwireEvent<V extends Vertical = Vertical, C extends string = never> =
  | StandardEvent<VerticalEventName<V>>
  | CustomEvent<C>;

/** Raised before any request for an event that cannot be sent as given. */
export class InvalidEventError extends TypeError {
  override readonly name = "InvalidEventError";
  /** The wire name of the parameter at fault. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Contract and authentication parameters: `extra` may not use these names. */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set([
  "event",
  "txid",
  "click_id",
  "player_id",
  "amount",
  "currency",
  "lots",
  "reverses",
  "occurred_at",
  "sub_id",
  "program_id",
  "test",
  "ts",
  "sig",
  "token",
]);
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

/** A UTF-16 surrogate not part of a pair: it has no UTF-8 form, so it can be neither signed nor sent. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function text(field: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidEventError(field, `${field} must be a non-empty string.`);
  }
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidEventError(field, `${field} holds an unpaired surrogate (malformed UTF-16).`);
  }
  return value;
}

function decimal(field: string, value: unknown): string {
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    throw new InvalidEventError(
      field,
      `${field} must be an exact decimal string such as "100.50", not a number.`,
    );
  }
  return value;
}

function occurredAt(value: Date | string | number): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new InvalidEventError("occurred_at", "occurred_at is an invalid Date.");
    return value.toISOString();
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidEventError("occurred_at", "occurred_at as a number must be whole unix seconds.");
    }
    return String(value);
  }
  return text("occurred_at", value);
}

/**
 * The wire parameters of an event, in a stable order: `event`, `txid`, then the others; absent
 * fields are left out. Throws InvalidEventError for a missing txid, a float amount and the like
 * (the service checks the rest and answers 400 naming the field).
 */
export function eventParams(event: PostwireEvent<Vertical, string>): Array<[string, string]> {
  const e = event as BaseEvent &
    OptionalMoney & { event: string; lots?: string; reverses?: string; [key: string]: unknown };
  const pairs: Array<[string, string]> = [
    ["event", text("event", e.event)],
    ["txid", text("txid", e.txid)],
  ];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) pairs.push([name, value]);
  };
  add("click_id", e.clickId === undefined ? undefined : text("click_id", e.clickId));
  add("player_id", e.playerId === undefined ? undefined : text("player_id", e.playerId));
  add("amount", e.amount === undefined ? undefined : decimal("amount", e.amount));
  add("currency", e.currency === undefined ? undefined : text("currency", e.currency));
  add("lots", e.lots === undefined ? undefined : decimal("lots", e.lots));
  add("reverses", e.reverses === undefined ? undefined : text("reverses", e.reverses));
  add("occurred_at", e.occurredAt === undefined ? undefined : occurredAt(e.occurredAt));
  add("sub_id", e.subId === undefined ? undefined : text("sub_id", e.subId));
  add("program_id", e.programId === undefined ? undefined : String(e.programId));
  if (e.test) pairs.push(["test", "1"]);
  for (const [name, value] of Object.entries(e.extra ?? {})) {
    if (RESERVED_PARAMS.has(name) || LONE_SURROGATE.test(name)) {
      throw new InvalidEventError(
        name,
        `extra.${name}: a contract parameter (use the event's own field) or malformed.`,
      );
    }
    pairs.push([name, text(name, value)]);
  }
  return pairs;
}
