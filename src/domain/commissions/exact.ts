/**
 * Exact commission arithmetic: a fraction of an amount, converted to the program currency, rounded
 * ONCE with the project's single rule (nearest minor unit, exact halves away from zero; see
 * src/domain/money.ts). Converting first and applying a percentage after would round twice.
 */
import { currencyExponent } from "../money.ts";

/** How an event amount reaches the program currency; `rate` is `to` units per 1 `from` unit. */
export interface Fx {
  readonly from: string;
  readonly to: string;
  readonly rate: string;
}

const RATE = /^([0-9]+)(?:\.([0-9]{1,12}))?$/;

/** Nearest integer of num/den, exact halves away from zero (den > 0). */
export function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num % den;
  if ((r < 0n ? -r : r) * 2n < den) return q;
  return num < 0n ? q - 1n : q + 1n;
}

/** The rate as an exact fraction, or undefined when it is not a positive decimal. */
export function rateFraction(rate: string): { num: bigint; den: bigint } | undefined {
  const m = RATE.exec(rate);
  if (!m) return undefined;
  const frac = m[2] ?? "";
  const num = BigInt(m[1]! + frac);
  if (num === 0n) return undefined;
  return { num, den: 10n ** BigInt(frac.length) };
}

/**
 * `minor × num / den`, through `fx` when the amount is in another currency, rounded once.
 * Throws RangeError on an unknown currency or rate (callers check rates when they are stored).
 */
export function share(minor: number, num: bigint, den: bigint, fx?: Fx): number {
  let n = BigInt(minor) * num;
  let d = den;
  if (fx && fx.from !== fx.to) {
    const fromExp = currencyExponent(fx.from);
    const toExp = currencyExponent(fx.to);
    const rate = rateFraction(fx.rate);
    if (fromExp === undefined || toExp === undefined || !rate) throw new RangeError("bad fx");
    n = n * rate.num * 10n ** BigInt(toExp);
    d = d * rate.den * 10n ** BigInt(fromExp);
  }
  const result = divRound(n, d);
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError("commission beyond the safe integer range");
  return Number(result);
}

/** `minor × bps / 10 000` (through `fx`), rounded once. */
export const bpsOf = (minor: number, bps: number, fx?: Fx): number => share(minor, BigInt(bps), 10_000n, fx);

/** An amount in the program currency (through `fx`), rounded once. */
export const convert = (minor: number, fx?: Fx): number => share(minor, 1n, 1n, fx);

/**
 * The calendar month (UTC) an instant falls in, "YYYY-MM": the period of caps, tiers and payouts.
 * Civil date from the day number (Howard Hinnant's days-to-civil, proleptic Gregorian), for years
 * 1000–9999 as toISOString gives them: it runs for every conversion and ledger entry, and building
 * and formatting a Date there cost 4 µs a postback (bench/README.md).
 * https://howardhinnant.github.io/date_algorithms.html#civil_from_days
 */
export function periodOf(at: number): string {
  const z = Math.floor(at / 86_400_000) + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${month < 10 ? "0" : ""}${month}`;
}
