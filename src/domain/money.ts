/**
 * Money is exact: integer minor units of an ISO 4217 currency, never floats (DESIGN §3).
 * Amounts arrive as exact decimal strings and are parsed with BigInt/string arithmetic only.
 *
 * Rounding rule (the only one in Postwire): when a computation lands between two minor units
 * (basis points, currency conversion) it is rounded to the nearest unit, and an exact half
 * goes AWAY FROM ZERO (2.5 -> 3, -2.5 -> -3). Symmetric for negatives, so a clawback of a
 * commission is exactly the negation of the commission.
 */
import { CURRENCY_EXPONENTS } from "./currencies.ts";
import { fail, ok, type Result } from "./errors.ts";

const EXPONENTS: ReadonlyMap<string, number> = new Map(Object.entries(CURRENCY_EXPONENTS));

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Strict decimal grammar: digits, optional '.' and at least one decimal. ASCII digits only. */
const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** Beyond this many significant integer digits a value cannot be a safe integer anyway. */
const MAX_INT_DIGITS = 20;

/** Largest number of decimals accepted in a conversion rate. */
const MAX_RATE_DECIMALS = 12;

/**
 * ISO 4217 minor-unit exponent of an active alphabetic code (EUR 2, JPY 0, BHD 3, CLF 4), or
 * `undefined` if the code is unknown or has no minor unit (XAU, XDR, XXX…). The input must be
 * exactly three upper-case letters: no trimming or case folding here (callers normalise).
 */
export function currencyExponent(code: string): number | undefined {
  // The shape check also keeps prototype names ("constructor") away from any lookup.
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  return EXPONENTS.get(code);
}

/** True for an active ISO 4217 code with a minor unit (see {@link currencyExponent}). */
export function isCurrency(code: string): boolean {
  return currencyExponent(code) !== undefined;
}

/** Echo untrusted input in messages, quoted and bounded so a huge value cannot bloat logs. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

interface Decimal {
  readonly negative: boolean;
  /** Integer digits without leading zeros ("" for zero). */
  readonly int: string;
  /** Decimal digits as written (may be ""). */
  readonly frac: string;
}

/** Split a strict decimal string, or undefined if it does not match the grammar. */
function splitDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  return { negative: m[1] === "-", int: (m[2] ?? "").replace(/^0+/, ""), frac: m[3] ?? "" };
}

/** The decimal scaled to `scale` decimals as an exact BigInt (frac.length must be <= scale). */
function scaled(d: Decimal, scale: number): bigint {
  const digits = d.int + d.frac.padEnd(scale, "0");
  const magnitude = digits === "" ? 0n : BigInt(digits);
  return d.negative ? -magnitude : magnitude;
}

/** Division rounded to nearest, exact halves away from zero. `den` must be > 0. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den; // BigInt division truncates toward zero
  const r = num % den; // same sign as num
  const twiceRest = (r < 0n ? -r : r) * 2n;
  if (twiceRest < den) return q;
  return num < 0n ? q - 1n : q + 1n;
}

function requireExponent(currency: string): number {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new RangeError(`${quote(currency)} is not a supported ISO 4217 code`);
  return exponent;
}

function requireSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
}

/**
 * Parse an exact decimal amount string into integer minor units of `currency`.
 * Grammar: optional '-' (only with `opts.allowNegative`), ASCII digits, optionally '.' and
 * 1..exponent digits. No '+', spaces, exponents, separators, leading or trailing '.'.
 * "-0" gives 0. Decimals beyond the currency's exponent are refused even when they are zeros
 * ("100.00" JPY), because the contract is the exact ISO minor unit.
 */
export function parseAmount(
  text: string,
  currency: string,
  opts?: { allowNegative?: boolean },
): Result<number> {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return fail(
      "unknown_currency",
      `currency ${quote(currency)} is not an active ISO 4217 code: use three upper-case letters such as "EUR" or "USD"`,
      "currency",
    );
  }
  const d = splitDecimal(text);
  if (d === undefined) {
    return fail(
      "invalid_amount",
      `amount ${quote(text)} is not an exact decimal string: use digits with an optional "." and decimals, such as "100.50"`,
      "amount",
    );
  }
  if (d.negative && opts?.allowNegative !== true) {
    return fail("invalid_amount", "amount must not be negative", "amount");
  }
  if (d.frac.length > exponent) {
    const allowed = exponent === 0 ? "none (whole units only)" : `at most ${exponent}`;
    return fail(
      "amount_precision",
      `amount ${quote(text)} has ${plural(d.frac.length, "decimal")} but ${currency} allows ${allowed}`,
      "amount",
    );
  }
  if (d.int.length > MAX_INT_DIGITS) return tooLarge(text, currency);
  const minor = scaled(d, exponent);
  if (minor > MAX_SAFE || minor < -MAX_SAFE) return tooLarge(text, currency);
  return ok(Number(minor));
}

function tooLarge(text: string, currency: string): Result<number> {
  return fail(
    "invalid_amount",
    `amount too large: ${quote(text)} ${currency} exceeds ${Number.MAX_SAFE_INTEGER} minor units`,
    "amount",
  );
}

/** Render an integer as a decimal string with exactly `exponent` decimals. */
function formatScaled(value: number, exponent: number): string {
  const big = BigInt(value);
  const sign = big < 0n ? "-" : "";
  const digits = (big < 0n ? -big : big).toString().padStart(exponent + 1, "0");
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Minor units -> canonical decimal string with exactly the currency's decimals
 * ("100.50", "-0.05", "1000" for JPY). Inverse of {@link parseAmount}.
 * @throws RangeError for an unknown currency or a non-safe-integer amount (programming errors).
 */
export function formatMinor(minor: number, currency: string): string {
  const exponent = requireExponent(currency);
  requireSafeInteger(minor, "minor");
  return formatScaled(minor, exponent);
}

/**
 * Forex volume: a decimal number of lots with at most 3 decimals, strictly positive, into
 * integer thousandths of a lot ("1.5" -> 1500, "0.01" -> 10). Same strict grammar as amounts,
 * without a sign. Errors: `invalid_lots` on field `lots`.
 */
export function parseLots(text: string): Result<number> {
  const d = splitDecimal(text);
  if (d === undefined || d.negative) {
    return fail(
      "invalid_lots",
      `lots ${quote(text)} is not a positive decimal number: use digits with an optional "." and up to 3 decimals, such as "1.5"`,
      "lots",
    );
  }
  if (d.frac.length > 3) {
    return fail(
      "invalid_lots",
      `lots ${quote(text)} has ${d.frac.length} decimals but at most 3 are allowed`,
      "lots",
    );
  }
  if (d.int.length > MAX_INT_DIGITS) return fail("invalid_lots", `lots ${quote(text)} is too large`, "lots");
  const milli = scaled(d, 3);
  if (milli === 0n) return fail("invalid_lots", `lots must be greater than 0, got ${quote(text)}`, "lots");
  if (milli > MAX_SAFE) return fail("invalid_lots", `lots ${quote(text)} is too large`, "lots");
  return ok(Number(milli));
}

/**
 * Thousandths of a lot -> shortest decimal string (1500 -> "1.5", 1000 -> "1", 1 -> "0.001").
 * Negative values (e.g. a reversed volume) keep their sign.
 * @throws RangeError for a non-safe-integer input.
 */
export function formatLots(milli: number): string {
  requireSafeInteger(milli, "milli");
  // Trailing zeros (and a bare '.') are dropped: lots are shown, not accounted.
  return formatScaled(milli, 3).replace(/\.?0+$/, "");
}

/**
 * `minor × bps / 10 000` (1 bp = 0.01 %), rounded to the nearest minor unit with exact halves
 * away from zero, computed exactly with BigInt. Example: 1005 × 5000 bp = 502.5 -> 503;
 * -1005 × 5000 bp -> -503.
 * @throws RangeError if an input is not a safe integer or the result is not a safe integer.
 */
export function applyBps(minor: number, bps: number): number {
  requireSafeInteger(minor, "minor");
  requireSafeInteger(bps, "bps");
  const result = divRound(BigInt(minor) * BigInt(bps), 10_000n);
  if (result > MAX_SAFE || result < -MAX_SAFE) throw new RangeError("applyBps result is not a safe integer");
  return Number(result);
}

/**
 * Convert minor units of `from` into minor units of `to` at `rate` (an exact decimal string:
 * units of `to` per 1 unit of `from`, > 0, up to 12 decimals), accounting for both exponents,
 * rounded like {@link applyBps}. Example: 1000 JPY at "0.0061" EUR per JPY -> 610 (6.10 EUR).
 * Errors: `unknown_currency` (field `from` / `to`), `invalid_field` (field `rate`),
 * `invalid_amount` if the result is beyond a safe integer (field `amount`).
 * @throws RangeError if `minor` is not a safe integer (a programming error).
 */
export function convertMinor(minor: number, from: string, to: string, rate: string): Result<number> {
  requireSafeInteger(minor, "minor");
  const fromExp = currencyExponent(from);
  if (fromExp === undefined) {
    return fail("unknown_currency", `currency ${quote(from)} is not an active ISO 4217 code`, "from");
  }
  const toExp = currencyExponent(to);
  if (toExp === undefined) {
    return fail("unknown_currency", `currency ${quote(to)} is not an active ISO 4217 code`, "to");
  }
  const r = splitDecimal(rate);
  if (r === undefined || r.negative || r.frac.length > MAX_RATE_DECIMALS || r.int.length > MAX_INT_DIGITS) {
    return fail(
      "invalid_field",
      `rate ${quote(rate)} is not a positive exact decimal with at most ${MAX_RATE_DECIMALS} decimals, such as "0.0061"`,
      "rate",
    );
  }
  const rateUnits = scaled(r, r.frac.length);
  if (rateUnits === 0n)
    return fail("invalid_field", `rate must be greater than 0, got ${quote(rate)}`, "rate");
  // to_minor = minor / 10^fromExp × (rateUnits / 10^k) × 10^toExp, as one exact fraction.
  const num = BigInt(minor) * rateUnits * 10n ** BigInt(toExp);
  const den = 10n ** BigInt(fromExp + r.frac.length);
  const result = divRound(num, den);
  if (result > MAX_SAFE || result < -MAX_SAFE) {
    return fail(
      "invalid_amount",
      `converted amount too large: ${minor} ${from} at ${rate} exceeds the safe range`,
      "amount",
    );
  }
  return ok(Number(result));
}
