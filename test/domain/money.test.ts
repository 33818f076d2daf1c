import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CURRENCY_CODES } from "../../src/domain/currencies.ts";
import type { ErrorCode, Result } from "../../src/domain/errors.ts";
import {
  applyBps,
  convertMinor,
  currencyExponent,
  formatLots,
  formatMinor,
  isCurrency,
  parseAmount,
  parseLots,
} from "../../src/domain/money.ts";

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** `got` is `num / den` rounded to nearest with exact halves away from zero. */
function assertRounded(got: number, num: bigint, den: bigint): void {
  const err = abs(BigInt(got) * den - num); // |error| × den
  assert.ok(err * 2n <= den, `error above half a unit: ${got} vs ${num}/${den}`);
  if (err * 2n === den)
    assert.ok(abs(BigInt(got) * den) > abs(num), `half not rounded away from zero: ${got}`);
}

function expectOk<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function expectFail<T>(r: Result<T>, code: ErrorCode, field: string) {
  if (r.ok) assert.fail(`expected ${code}, got ok ${String(r.value)}`);
  assert.equal(r.error.code, code, r.error.message);
  assert.equal(r.error.field, field);
  return r.error;
}

describe("currencyExponent", () => {
  // Grouped by expected exponent; the 0/3/4 groups are every such code in ISO 4217.
  const groups: [number | undefined, string][] = [
    [2, "EUR USD GBP CHF HUF IDR MGA MRU TWD COP XCD XCG ZWG SLE VES VED BYN STN"],
    [0, "JPY KRW ISK VND CLP PYG UGX XAF XOF XPF KMF GNF DJF RWF VUV BIF UYI"],
    [3, "BHD KWD JOD OMR TND LYD IQD"],
    [4, "CLF UYW"],
    [undefined, "XAU XAG XPT XPD XDR XSU XUA XTS XXX XBA HRK SLL ZWL eur Eur EURO EU ABC"],
  ];
  const rows = groups.flatMap(([exponent, codes]) =>
    codes.split(" ").map((code) => [code, exponent] as const),
  );
  rows.push([" EUR", undefined], ["EUR ", undefined], ["", undefined]);
  for (const [code, exponent] of rows) {
    test(`${JSON.stringify(code)} -> ${exponent}`, () => {
      assert.equal(currencyExponent(code), exponent);
      assert.equal(isCurrency(code), exponent !== undefined);
    });
  }

  test("prototype names are not currencies", () => {
    for (const code of ["constructor", "__proto__", "toString", "hasOwnProperty"])
      assert.equal(isCurrency(code), false);
  });

  test("exponents 0, 3 and 4 are exactly the ISO ones", () => {
    for (const e of [0, 3, 4]) {
      const want = groups
        .find(([x]) => x === e)?.[1]
        .split(" ")
        .sort();
      assert.deepEqual(CURRENCY_CODES.filter((c) => currencyExponent(c) === e).sort(), want);
    }
  });

  test("the table holds about 180 active codes, all well formed", () => {
    assert.ok(CURRENCY_CODES.length >= 160 && CURRENCY_CODES.length <= 185, String(CURRENCY_CODES.length));
    for (const code of CURRENCY_CODES) {
      assert.match(code, /^[A-Z]{3}$/);
      assert.ok([0, 2, 3, 4].includes(currencyExponent(code) ?? -1), code);
    }
  });
});

describe("parseAmount", () => {
  // [name, text, currency, want (minor units or error code), allowNegative]
  type Row = [string, string, string, number | ErrorCode, boolean?];
  const rows: Row[] = [
    ["two decimals", "100.50", "EUR", 10050],
    ["one decimal is padded", "100.5", "EUR", 10050],
    ["integer", "100", "EUR", 10000],
    ["zero", "0", "EUR", 0],
    ["leading zeros", "007.5", "EUR", 750],
    ["smallest unit", "0.01", "EUR", 1],
    ["JPY integer", "100", "JPY", 100],
    ["JPY decimals refused", "100.5", "JPY", "amount_precision"],
    ["JPY zero decimals refused too", "100.00", "JPY", "amount_precision"],
    ["BHD three decimals", "1.234", "BHD", 1234],
    ["BHD four decimals", "1.2345", "BHD", "amount_precision"],
    ["CLF four decimals", "1.2345", "CLF", 12345],
    ["EUR three decimals", "0.001", "EUR", "amount_precision"],
    ["exponent notation", "1e3", "EUR", "invalid_amount"],
    ["NaN", "NaN", "EUR", "invalid_amount"],
    ["Infinity", "Infinity", "EUR", "invalid_amount"],
    ["thousands separator", "1,000.00", "EUR", "invalid_amount"],
    ["decimal comma", "1,5", "EUR", "invalid_amount"],
    ["leading space", " 1", "EUR", "invalid_amount"],
    ["trailing space", "1 ", "EUR", "invalid_amount"],
    ["trailing newline", "1\n", "EUR", "invalid_amount"],
    ["trailing dot", "1.", "EUR", "invalid_amount"],
    ["leading dot", ".5", "EUR", "invalid_amount"],
    ["plus sign", "+1", "EUR", "invalid_amount"],
    ["empty", "", "EUR", "invalid_amount"],
    ["lone minus", "-", "EUR", "invalid_amount", true],
    ["two dots", "1.2.3", "EUR", "invalid_amount"],
    ["hex", "0x10", "EUR", "invalid_amount"],
    ["non-ASCII digits", "١٠٠", "EUR", "invalid_amount"],
    ["fullwidth digits", "１００", "EUR", "invalid_amount"],
    ["negative refused by default", "-5", "EUR", "invalid_amount"],
    ["negative allowed", "-5", "EUR", -500, true],
    ["negative cents", "-0.05", "EUR", -5, true],
    ["minus zero", "-0", "EUR", 0, true],
    ["double minus", "--5", "EUR", "invalid_amount", true],
    ["unknown currency", "1", "EURO", "unknown_currency"],
    ["lower-case currency", "1", "eur", "unknown_currency"],
    ["no-currency code", "1", "XXX", "unknown_currency"],
    ["gold", "1", "XAU", "unknown_currency"],
    ["largest safe JPY", "9007199254740991", "JPY", Number.MAX_SAFE_INTEGER],
    ["one past safe JPY", "9007199254740992", "JPY", "invalid_amount"],
    ["largest safe EUR", "90071992547409.91", "EUR", Number.MAX_SAFE_INTEGER],
    ["too large EUR", "90071992547409.92", "EUR", "invalid_amount"],
    ["huge", "9".repeat(5000), "EUR", "invalid_amount"],
    ["huge with leading zeros", "0".repeat(5000) + "1.5", "EUR", 150],
    ["huge negative", "-" + "9".repeat(30), "EUR", "invalid_amount", true],
  ];
  for (const [name, text, currency, want, allowNegative] of rows) {
    test(name, () => {
      const r = parseAmount(text, currency, { allowNegative: allowNegative ?? false });
      if (typeof want === "number") assert.equal(expectOk(r), want);
      else expectFail(r, want, want === "unknown_currency" ? "currency" : "amount");
    });
  }

  test("-0 gives +0, not -0", () => {
    assert.ok(Object.is(expectOk(parseAmount("-0.00", "EUR", { allowNegative: true })), 0));
  });

  test("messages are sentences naming the value", () => {
    const precision = expectFail(parseAmount("100.5", "JPY"), "amount_precision", "amount");
    assert.match(precision.message, /"100\.5"/);
    assert.match(precision.message, /JPY/);
    assert.match(precision.message, /none/);
    const bhd = expectFail(parseAmount("1.2345", "BHD"), "amount_precision", "amount");
    assert.match(bhd.message, /BHD allows at most 3/);
    assert.match(expectFail(parseAmount("1e3", "EUR"), "invalid_amount", "amount").message, /"1e3"/);
    assert.match(expectFail(parseAmount("1", "EURO"), "unknown_currency", "currency").message, /"EURO"/);
    assert.equal(
      expectFail(parseAmount("-5", "EUR"), "invalid_amount", "amount").message,
      "amount must not be negative",
    );
    assert.match(
      expectFail(parseAmount("9".repeat(30), "EUR"), "invalid_amount", "amount").message,
      /^amount too large/,
    );
  });

  test("echoed values are bounded", () => {
    const e = expectFail(parseAmount("x".repeat(10_000), "EUR"), "invalid_amount", "amount");
    assert.ok(e.message.length < 300);
  });
});

describe("formatMinor", () => {
  const rows: [number, string, string][] = [
    [10050, "EUR", "100.50"],
    [-5, "EUR", "-0.05"],
    [0, "EUR", "0.00"],
    [1000, "JPY", "1000"],
    [-1000, "JPY", "-1000"],
    [1, "BHD", "0.001"],
    [12345, "CLF", "1.2345"],
    [Number.MAX_SAFE_INTEGER, "EUR", "90071992547409.91"],
  ];
  for (const [minor, currency, want] of rows) {
    test(`${minor} ${currency} -> ${want}`, () => assert.equal(formatMinor(minor, currency), want));
  }
  test("programming errors throw", () => {
    assert.throws(() => formatMinor(1, "EURO"), RangeError);
    assert.throws(() => formatMinor(1.5, "EUR"), RangeError);
    assert.throws(() => formatMinor(Number.NaN, "EUR"), RangeError);
  });
});

describe("amount properties", () => {
  const exponents = [0, 2, 3, 4] as const;
  const sample = { 0: "JPY", 2: "EUR", 3: "BHD", 4: "CLF" } as const;

  test("every table exponent is exercised", () => {
    for (const code of CURRENCY_CODES)
      assert.ok((exponents as readonly number[]).includes(currencyExponent(code)!));
  });

  test("formatMinor(parseAmount(x)) is the canonical form of x", () => {
    for (const e of exponents) {
      const currency = sample[e];
      const frac = e === 0 ? fc.constant(null) : fc.option(fc.stringMatching(new RegExp(`^[0-9]{1,${e}}$`)));
      const decimal = fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,11}$/), frac);
      fc.assert(
        fc.property(decimal, ([neg, int, frac]) => {
          const text = (neg ? "-" : "") + int + (frac === null ? "" : "." + frac);
          const minor = expectOk(parseAmount(text, currency, { allowNegative: true }));
          const canonical = formatMinor(minor, currency);
          // Same value: reparsing the canonical form gives the same minor units…
          assert.equal(expectOk(parseAmount(canonical, currency, { allowNegative: true })), minor);
          // …and it is the input with leading zeros stripped and decimals padded.
          const intPart = int.replace(/^0+(?=.)/, "");
          const fracPart = (frac ?? "").padEnd(e, "0");
          const sign = neg && minor !== 0 ? "-" : "";
          assert.equal(canonical, sign + intPart + (e > 0 ? "." + fracPart : ""));
        }),
      );
    }
  });

  test("parseAmount(formatMinor(n)) === n for every safe integer and currency", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom(...CURRENCY_CODES), (n, currency) => {
        assert.equal(expectOk(parseAmount(formatMinor(n, currency), currency, { allowNegative: true })), n);
      }),
    );
  });
});

describe("lots", () => {
  const valid: [string, number][] = [
    ["1.5", 1500],
    ["1", 1000],
    ["0.001", 1],
    ["0.01", 10],
    ["10.250", 10250],
    ["007", 7000],
  ];
  const invalid = ["0", "0.000", "-1", "+1", "1.2345", "1e2", "", ".5", "1.", "abc", "1 ", "9".repeat(40)];
  const rows = [...valid, ...invalid.map((t) => [t, null] as const)];
  for (const [text, want] of rows) {
    test(`parseLots ${JSON.stringify(text.slice(0, 12))} -> ${want ?? "invalid_lots"}`, () => {
      const r = parseLots(text);
      if (want === null) expectFail(r, "invalid_lots", "lots");
      else assert.equal(expectOk(r), want);
    });
  }
  test("formatLots", () => {
    assert.equal(formatLots(1500), "1.5");
    assert.equal(formatLots(1000), "1");
    assert.equal(formatLots(1), "0.001");
    assert.equal(formatLots(10250), "10.25");
    assert.equal(formatLots(0), "0");
    assert.equal(formatLots(-1500), "-1.5");
  });
  test("parseLots(formatLots(n)) === n", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (n) => expectOk(parseLots(formatLots(n))) === n,
      ),
    );
  });
});

describe("applyBps", () => {
  const rows: [string, number, number, number][] = [
    ["50 % of 10.05", 1005, 5000, 503],
    ["50 % of -10.05", -1005, 5000, -503],
    ["just below half rounds down", 1, 4999, 0],
    ["exact half rounds away from zero", 1, 5000, 1],
    ["negative half rounds away from zero", -1, 5000, -1],
    ["25 %", 10000, 2500, 2500],
    ["0 bp", 12345, 0, 0],
    ["100 %", 12345, 10000, 12345],
    ["1 bp of 1.00 rounds to 0", 100, 1, 0],
    ["negative bps", 1005, -5000, -503],
    ["150 %", 101, 15000, 152],
  ];
  for (const [name, minor, bps, want] of rows) {
    test(name, () => assert.equal(applyBps(minor, bps), want));
  }

  const minorArb = fc.integer({ min: -1e12, max: 1e12 });
  const bpsArb = fc.integer({ min: -100_000, max: 100_000 });

  test("error against the exact rational is at most half a unit, halves away from zero", () => {
    fc.assert(
      fc.property(minorArb, bpsArb, (m, b) => assertRounded(applyBps(m, b), BigInt(m) * BigInt(b), 10_000n)),
    );
  });

  test("symmetric: applyBps(-m, b) === -applyBps(m, b)", () => {
    fc.assert(fc.property(minorArb, bpsArb, (m, b) => applyBps(-m, b) + applyBps(m, b) === 0));
  });

  test("programming errors throw", () => {
    assert.throws(() => applyBps(1.5, 100), RangeError);
    assert.throws(() => applyBps(100, 12.5), RangeError);
    assert.throws(() => applyBps(Number.MAX_SAFE_INTEGER, 20_000), RangeError);
  });
});

describe("convertMinor", () => {
  const rows: [string, number, string, string, string, number][] = [
    ["1000 JPY at 0.0061 -> 6.10 EUR", 1000, "JPY", "EUR", "0.0061", 610],
    ["6.10 EUR at 163.93 -> 1000 JPY (rounded)", 610, "EUR", "JPY", "163.93", 1000],
    ["same currency at 1", 12345, "EUR", "EUR", "1", 12345],
    ["EUR -> USD", 10000, "EUR", "USD", "1.0825", 10825],
    ["half rounds away from zero", 1, "EUR", "USD", "0.5", 1],
    ["negative half away from zero", -1, "EUR", "USD", "0.5", -1],
    ["EUR -> BHD (3 decimals)", 10000, "EUR", "BHD", "0.409512", 40951],
    ["BHD -> JPY", 1234, "BHD", "JPY", "392.123456789012", 484],
    ["12-decimal rate", 100_000_000, "USD", "EUR", "0.000000000001", 0],
    ["leading zeros in rate", 100, "EUR", "USD", "001.10", 110],
  ];
  for (const [name, minor, from, to, rate, want] of rows) {
    test(name, () => assert.equal(expectOk(convertMinor(minor, from, to, rate)), want));
  }

  test("bad inputs", () => {
    expectFail(convertMinor(1, "EURO", "USD", "1"), "unknown_currency", "from");
    expectFail(convertMinor(1, "EUR", "usd", "1"), "unknown_currency", "to");
    for (const rate of ["0", "0.000", "-1", "1e3", "", "1.", "abc", "1.0000000000001", "NaN"]) {
      expectFail(convertMinor(1, "EUR", "USD", rate), "invalid_field", "rate");
    }
    expectFail(convertMinor(Number.MAX_SAFE_INTEGER, "EUR", "JPY", "1000"), "invalid_amount", "amount");
    assert.throws(() => convertMinor(0.5, "EUR", "USD", "1"), RangeError);
  });

  test("error against the exact rational is at most half a unit, halves away from zero", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.constantFrom("JPY", "EUR", "BHD", "CLF"),
        fc.constantFrom("JPY", "EUR", "BHD", "CLF"),
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 0, max: 12 }),
        (minor, from, to, units, k) => {
          const digits = String(units).padStart(k + 1, "0");
          const rateStr = k === 0 ? digits : `${digits.slice(0, -k)}.${digits.slice(-k)}`;
          const r = convertMinor(minor, from, to, rateStr);
          if (!r.ok) return; // out of range is allowed to fail
          const ef = BigInt(currencyExponent(from)!);
          const et = BigInt(currencyExponent(to)!);
          assertRounded(r.value, BigInt(minor) * BigInt(units) * 10n ** et, 10n ** (ef + BigInt(k)));
        },
      ),
    );
  });
});
