/**
 * From the raw parameters of an inbound postback to validated fields (DESIGN §2):
 * operator parameter/value mapping, ambiguity and size checks, exact amounts and lots, timestamps.
 * Pure: no I/O; the caller passes the receipt time.
 */
import { hash } from "node:crypto";
import { fail, ok, type Result } from "./errors.ts";
import { eventRule } from "./event-types.ts";
import { isCurrency, parseAmount, parseLots } from "./money.ts";
import { isUnstorable, unstorableMessage } from "./storable-text.ts";

/** Names with a meaning in the contract; anything else is kept as received in `extra`. */
export const CONTRACT_FIELDS = [
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
  "test",
  "program_id",
] as const;
export type ContractField = (typeof CONTRACT_FIELDS)[number];

/** Authentication parameters: consumed by the auth step, never part of the event's content. */
export const AUTH_PARAMS = ["ts", "sig", "token"] as const;

/** Per-operator renaming of parameters (`btag` → `click_id`) and values (`event`: `dep` → `ftd`). */
export interface ParamMapping {
  readonly params: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const EMPTY_MAPPING: ParamMapping = { params: {}, values: {} };

export interface PostbackFields {
  readonly event: string;
  readonly txid: string;
  readonly clickId: string | undefined;
  readonly playerId: string | undefined;
  readonly amountMinor: number | undefined;
  readonly currency: string | undefined;
  readonly lotsMilli: number | undefined;
  readonly reverses: string | undefined;
  /** Epoch milliseconds; the receipt time when the operator sent none. */
  readonly occurredAt: number;
  readonly occurredAtGiven: boolean;
  readonly subId: string | undefined;
  readonly test: boolean;
  readonly programId: number | undefined;
  readonly extra: Readonly<Record<string, string>>;
  /** sha256 over the content (not auth, not a defaulted time): decides duplicate vs conflict. */
  readonly contentHash: string;
}

export const LIMITS = { maxParams: 64, maxNameLength: 64, maxValueLength: 1024, maxIdLength: 128 } as const;

const ID_PATTERN = /^[\x21-\x7e\u00a0-\uffff][\x20-\x7e\u00a0-\uffff]*$/u;
const EVENT_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Rename and validate raw pairs. `pairs` must already exclude nothing: auth params are dropped here.
 * Every class of bad input yields a Failure naming the field.
 */
export function parsePostbackParams(
  pairs: ReadonlyArray<readonly [string, string]>,
  mapping: ParamMapping,
  receivedAt: number,
): Result<PostbackFields> {
  if (pairs.length > LIMITS.maxParams)
    return fail("invalid_request", `At most ${LIMITS.maxParams} parameters.`);
  const fields = new Map<string, string>();
  const sourceOf = new Map<string, string>();
  for (const [rawName, rawValue] of pairs) {
    if ((AUTH_PARAMS as readonly string[]).includes(rawName)) continue;
    if (rawName.length === 0 || rawName.length > LIMITS.maxNameLength) {
      return fail("invalid_request", `Parameter names must be 1-${LIMITS.maxNameLength} characters.`);
    }
    if (rawValue.length > LIMITS.maxValueLength) {
      return fail("invalid_field", `${rawName} is longer than ${LIMITS.maxValueLength} characters.`, rawName);
    }
    // Refused on both engines alike (PostgreSQL cannot store a NUL; storable-text.ts).
    if (isUnstorable(rawName))
      return fail("invalid_request", "A parameter name holds a character that cannot be stored.");
    if (isUnstorable(rawValue)) return fail("invalid_field", unstorableMessage(rawName), rawName);
    const name = Object.hasOwn(mapping.params, rawName) ? mapping.params[rawName]! : rawName;
    const earlier = sourceOf.get(name);
    if (earlier !== undefined) {
      const how =
        earlier === rawName
          ? `${rawName} is given more than once`
          : `${earlier} and ${rawName} both map to ${name}`;
      return fail("ambiguous_parameter", `${how}; send it once.`, name);
    }
    sourceOf.set(name, rawName);
    // Own properties only: a parameter named "constructor" must not reach Object.prototype.
    const valueMap = Object.hasOwn(mapping.values, name) ? mapping.values[name] : undefined;
    fields.set(name, valueMap && Object.hasOwn(valueMap, rawValue) ? String(valueMap[rawValue]) : rawValue);
  }
  return buildFields(fields, receivedAt);
}

function buildFields(fields: Map<string, string>, receivedAt: number): Result<PostbackFields> {
  const event = fields.get("event");
  if (!event) return fail("missing_field", "event is required.", "event");
  if (!EVENT_PATTERN.test(event))
    return fail("invalid_field", `event "${event}" is not a valid event name.`, "event");
  const rule = eventRule(event);

  const ids: Record<"txid" | "click_id" | "player_id" | "reverses" | "sub_id", string | undefined> = {
    txid: undefined,
    click_id: undefined,
    player_id: undefined,
    reverses: undefined,
    sub_id: undefined,
  };
  for (const name of Object.keys(ids) as (keyof typeof ids)[]) {
    const value = fields.get(name);
    if (value === undefined || value === "") continue;
    if (value.length > LIMITS.maxIdLength || !ID_PATTERN.test(value)) {
      return fail("invalid_field", `${name} must be 1-${LIMITS.maxIdLength} printable characters.`, name);
    }
    ids[name] = value;
  }
  if (!ids.txid) return fail("missing_field", "txid is required: it is the idempotency key.", "txid");
  // Neither click_id nor player_id is refused here: the event is kept as unattributed
  // (no_click_id) for reconciliation, never dropped (DESIGN §2).
  if (rule.isReversal && !ids.reverses) {
    return fail("missing_field", `${event} needs reverses: the txid of the event it reverses.`, "reverses");
  }
  if (!rule.isReversal && ids.reverses) {
    return fail("invalid_field", `reverses is only allowed on refund, chargeback and reversal.`, "reverses");
  }

  const money = parseMoney(fields, event, rule.requiresAmount, rule.allowsNegative);
  if (!money.ok) return money;
  const lotsText = fields.get("lots");
  let lotsMilli: number | undefined;
  if (lotsText !== undefined && lotsText !== "") {
    const lots = parseLots(lotsText);
    if (!lots.ok) return lots;
    lotsMilli = lots.value;
  } else if (rule.requiresLots) {
    return fail("missing_field", `${event} requires lots.`, "lots");
  }

  const occurred = parseOccurredAt(fields.get("occurred_at"));
  if (!occurred.ok) return occurred;
  const test = parseFlag(fields.get("test"));
  if (test === undefined) return fail("invalid_field", "test must be 1, 0, true or false.", "test");
  const programText = fields.get("program_id");
  let programId: number | undefined;
  if (programText !== undefined && programText !== "") {
    if (!/^[1-9][0-9]{0,9}$/.test(programText))
      return fail("invalid_field", "program_id must be a program id.", "program_id");
    programId = Number(programText);
  }

  const extra: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (!(CONTRACT_FIELDS as readonly string[]).includes(name)) extra[name] = value;
  }
  const content = {
    event,
    txid: ids.txid,
    click_id: ids.click_id ?? null,
    player_id: ids.player_id ?? null,
    amount_minor: money.value.amountMinor ?? null,
    currency: money.value.currency ?? null,
    lots_milli: lotsMilli ?? null,
    reverses: ids.reverses ?? null,
    occurred_at: occurred.value ?? null,
    sub_id: ids.sub_id ?? null,
    test,
    program_id: programId ?? null,
    extra: Object.fromEntries(Object.entries(extra).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  return ok({
    event,
    txid: ids.txid,
    clickId: ids.click_id,
    playerId: ids.player_id,
    amountMinor: money.value.amountMinor,
    currency: money.value.currency,
    lotsMilli,
    reverses: ids.reverses,
    occurredAt: occurred.value ?? receivedAt,
    occurredAtGiven: occurred.value !== undefined,
    subId: ids.sub_id,
    test,
    programId,
    extra,
    // One-shot hash(): no Hash object per postback.
    contentHash: hash("sha256", JSON.stringify(content), "hex"),
  });
}

function parseMoney(
  fields: Map<string, string>,
  event: string,
  required: boolean,
  allowNegative: boolean,
): Result<{ amountMinor: number | undefined; currency: string | undefined }> {
  const amount = fields.get("amount");
  const currencyText = fields.get("currency");
  const hasAmount = amount !== undefined && amount !== "";
  const hasCurrency = currencyText !== undefined && currencyText !== "";
  if (!hasAmount) {
    if (required) return fail("missing_field", `${event} requires amount and currency.`, "amount");
    if (hasCurrency) return fail("missing_field", "currency was given without amount.", "amount");
    return ok({ amountMinor: undefined, currency: undefined });
  }
  if (!hasCurrency) return fail("missing_field", "amount needs a currency (ISO 4217 code).", "currency");
  const currency = currencyText.toUpperCase();
  if (!isCurrency(currency))
    return fail("unknown_currency", `"${currencyText}" is not an ISO 4217 currency code.`, "currency");
  const parsed = parseAmount(amount, currency, { allowNegative });
  if (!parsed.ok) return parsed;
  return ok({ amountMinor: parsed.value, currency });
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Date.parse rolls 2026-02-30 over to March 2nd: check the calendar fields ourselves. */
function validCalendar(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
  const second = match[7] === undefined ? 0 : Number(match[7]);
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second <= 59
  );
}

/** ISO 8601 with an explicit offset, or unix seconds; undefined when absent. */
export function parseOccurredAt(text: string | undefined): Result<number | undefined> {
  if (text === undefined || text === "") return ok(undefined);
  if (/^\d{1,11}$/.test(text)) return ok(Number(text) * 1000);
  const match = ISO_8601.exec(text);
  if (match && validCalendar(match)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ok(ms);
  }
  return fail(
    "invalid_timestamp",
    `occurred_at "${text}" is neither ISO 8601 with a time zone (2026-01-31T12:00:00Z) nor unix seconds.`,
    "occurred_at",
  );
}

function parseFlag(text: string | undefined): boolean | undefined {
  if (text === undefined || text === "" || text === "0" || text === "false") return false;
  if (text === "1" || text === "true") return true;
  return undefined;
}
