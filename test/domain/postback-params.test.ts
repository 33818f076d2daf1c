import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ErrorCode, Result } from "../../src/domain/errors.ts";
import {
  EMPTY_MAPPING,
  LIMITS,
  type ParamMapping,
  type PostbackFields,
  parseOccurredAt,
  parsePostbackParams,
} from "../../src/domain/postback-params.ts";

type Pairs = Array<[string, string]>;
const RECEIVED = 1_760_000_000_000;
const CLICK = "AQAAAAEAAAABAAAAAAAAAAAAAAAAAAAA";
const BASE: Pairs = [
  ["event", "ftd"],
  ["txid", "t-1"],
  ["click_id", CLICK],
  ["amount", "100.50"],
  ["currency", "EUR"],
];

const parse = (pairs: Pairs, mapping: ParamMapping = EMPTY_MAPPING, receivedAt = RECEIVED) =>
  parsePostbackParams(pairs, mapping, receivedAt);

function expectOk(result: Result<PostbackFields>): PostbackFields {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function expectFail(result: Result<unknown>, code: ErrorCode, field?: string) {
  if (result.ok) assert.fail(`expected ${code}, got ok`);
  assert.equal(result.error.code, code, result.error.message);
  assert.equal(result.error.field, field);
  return result.error;
}

/** BASE with some parameters replaced (value) or removed (undefined). */
function withParams(changes: Record<string, string | undefined>, base: Pairs = BASE): Pairs {
  const out = base.filter(([name]) => !(name in changes));
  for (const [name, value] of Object.entries(changes)) if (value !== undefined) out.push([name, value]);
  return out;
}

describe("parsePostbackParams: fields", () => {
  test("a full ftd", () => {
    const f = expectOk(
      parse([...BASE, ["player_id", "p-9"], ["sub_id", "s"], ["lots", "1.5"], ["campaign", "x y"]]),
    );
    assert.equal(f.event, "ftd");
    assert.equal(f.txid, "t-1");
    assert.equal(f.clickId, CLICK);
    assert.equal(f.playerId, "p-9");
    assert.equal(f.amountMinor, 10_050);
    assert.equal(f.currency, "EUR");
    assert.equal(f.lotsMilli, 1500);
    assert.equal(f.subId, "s");
    assert.deepEqual(f.extra, { campaign: "x y" });
    assert.equal(f.test, false);
    assert.equal(f.occurredAt, RECEIVED);
    assert.equal(f.occurredAtGiven, false);
  });

  test("neither click_id nor player_id is accepted (kept as unattributed later)", () => {
    const f = expectOk(parse(withParams({ click_id: undefined })));
    assert.equal(f.clickId, undefined);
    assert.equal(f.playerId, undefined);
  });

  test("a refund needs no click or player: it follows its original", () => {
    const f = expectOk(
      parse([
        ["event", "refund"],
        ["txid", "r"],
        ["reverses", "t-1"],
      ]),
    );
    assert.equal(f.reverses, "t-1");
    assert.equal(f.amountMinor, undefined);
  });

  test("auth parameters are consumed, never content", () => {
    const f = expectOk(parse([...BASE, ["ts", "1"], ["sig", "ab"], ["token", "secret"]]));
    assert.deepEqual(f.extra, {});
  });

  test("revenue may be negative; currencies are case-insensitive; JPY has no decimals", () => {
    const revenue = expectOk(parse(withParams({ event: "revenue", amount: "-12.30", currency: "usd" })));
    assert.deepEqual([revenue.amountMinor, revenue.currency], [-1230, "USD"]);
    const yen = expectOk(parse(withParams({ amount: "1000", currency: "JPY" })));
    assert.equal(yen.amountMinor, 1000);
  });

  test("test flag", () => {
    for (const [value, flag] of [
      ["1", true],
      ["true", true],
      ["0", false],
      ["false", false],
      ["", false],
    ] as const) {
      assert.equal(expectOk(parse(withParams({ test: value }))).test, flag, value);
    }
  });
});

describe("parsePostbackParams: each missing or invalid field names its code and field", () => {
  const rows: Array<[string, Pairs, ErrorCode, string | undefined]> = [
    ["no event", withParams({ event: undefined }), "missing_field", "event"],
    ["upper-case event", withParams({ event: "FTD" }), "invalid_field", "event"],
    ["no txid", withParams({ txid: undefined }), "missing_field", "txid"],
    ["empty txid", withParams({ txid: "" }), "missing_field", "txid"],
    ["txid with a control character", withParams({ txid: "a\u0001b" }), "invalid_field", "txid"],
    ["txid starting with a space", withParams({ txid: " a" }), "invalid_field", "txid"],
    ["txid too long", withParams({ txid: "x".repeat(LIMITS.maxIdLength + 1) }), "invalid_field", "txid"],
    [
      "click_id too long",
      withParams({ click_id: "c".repeat(LIMITS.maxIdLength + 1) }),
      "invalid_field",
      "click_id",
    ],
    ["refund without reverses", withParams({ event: "refund" }), "missing_field", "reverses"],
    ["ftd with reverses", withParams({ reverses: "t-0" }), "invalid_field", "reverses"],
    ["ftd without amount", withParams({ amount: undefined, currency: undefined }), "missing_field", "amount"],
    ["amount without currency", withParams({ currency: undefined }), "missing_field", "currency"],
    [
      "currency without amount",
      withParams({ event: "registration", amount: undefined }),
      "missing_field",
      "amount",
    ],
    ["unknown currency", withParams({ currency: "EURO" }), "unknown_currency", "currency"],
    ["exponent amount", withParams({ amount: "1e3" }), "invalid_amount", "amount"],
    ["negative ftd", withParams({ amount: "-5" }), "invalid_amount", "amount"],
    ["comma decimal", withParams({ amount: "100,50" }), "invalid_amount", "amount"],
    ["too many decimals", withParams({ amount: "1.234" }), "amount_precision", "amount"],
    ["decimals on JPY", withParams({ amount: "100.5", currency: "JPY" }), "amount_precision", "amount"],
    ["trade without lots", withParams({ event: "trade" }), "missing_field", "lots"],
    ["bad lots", withParams({ lots: "1.2345" }), "invalid_lots", "lots"],
    ["words for a time", withParams({ occurred_at: "yesterday" }), "invalid_timestamp", "occurred_at"],
    [
      "ISO without zone",
      withParams({ occurred_at: "2026-01-31T12:00:00" }),
      "invalid_timestamp",
      "occurred_at",
    ],
    [
      "February 30th",
      withParams({ occurred_at: "2026-02-30T00:00:00Z" }),
      "invalid_timestamp",
      "occurred_at",
    ],
    ["hour 25", withParams({ occurred_at: "2026-01-31T25:00:00Z" }), "invalid_timestamp", "occurred_at"],
    [
      "milliseconds given as seconds",
      withParams({ occurred_at: "1760000000000" }),
      "invalid_timestamp",
      "occurred_at",
    ],
    ["test flag yes", withParams({ test: "yes" }), "invalid_field", "test"],
    ["program_id not a number", withParams({ program_id: "abc" }), "invalid_field", "program_id"],
    ["program_id zero", withParams({ program_id: "0" }), "invalid_field", "program_id"],
  ];
  for (const [name, pairs, code, field] of rows) {
    test(`${name} → ${code}${field ? ` (${field})` : ""}`, () => {
      expectFail(parse(pairs), code, field);
    });
  }
});

describe("parsePostbackParams: mapping, ambiguity, limits", () => {
  const mapping: ParamMapping = {
    params: { btag: "click_id", type: "event", ref: "txid" },
    values: { event: { dep: "ftd", reg: "registration" } },
  };

  test("parameters and values are renamed", () => {
    const f = expectOk(
      parse(
        [
          ["type", "dep"],
          ["ref", "9"],
          ["btag", CLICK],
          ["amount", "5"],
          ["currency", "EUR"],
        ],
        mapping,
      ),
    );
    assert.deepEqual([f.event, f.txid, f.clickId], ["ftd", "9", CLICK]);
  });

  test("values are mapped only for their field; unmapped values pass through", () => {
    const f = expectOk(
      parse(
        [
          ["event", "registration"],
          ["txid", "dep"],
          ["note", "dep"],
        ],
        mapping,
      ),
    );
    assert.deepEqual([f.event, f.txid, f.extra["note"]], ["registration", "dep", "dep"]);
  });

  test("prototype names are never mapping entries", () => {
    const f = expectOk(parse([...BASE, ["constructor", "name"], ["toString", "length"]], mapping));
    assert.deepEqual(f.extra, { constructor: "name", toString: "length" });
  });

  const ambiguous: Array<[string, Pairs, string, RegExp]> = [
    ["a name given twice", [...BASE, ["txid", "t-2"]], "txid", /txid is given more than once/],
    [
      "two names mapping to one",
      [...BASE, ["btag", CLICK]],
      "click_id",
      /click_id and btag both map to click_id/,
    ],
    ["the same value twice", [...BASE, ["currency", "EUR"]], "currency", /more than once/],
  ];
  for (const [name, pairs, field, message] of ambiguous) {
    test(`ambiguous: ${name}`, () => {
      assert.match(expectFail(parse(pairs, mapping), "ambiguous_parameter", field).message, message);
    });
  }

  test("limits: parameter count, name length, value length", () => {
    const many: Pairs = Array.from({ length: LIMITS.maxParams + 1 }, (_, i) => [`p${i}`, "v"]);
    expectFail(parse(many), "invalid_request");
    expectFail(parse([...BASE, ["n".repeat(LIMITS.maxNameLength + 1), "v"]]), "invalid_request");
    expectFail(parse([...BASE, ["", "v"]]), "invalid_request");
    expectFail(parse([...BASE, ["note", "v".repeat(LIMITS.maxValueLength + 1)]]), "invalid_field", "note");
    expectOk(parse([...BASE, ["note", "v".repeat(LIMITS.maxValueLength)]]));
  });
});

describe("parseOccurredAt", () => {
  const rows: Array<[string, number | undefined]> = [
    ["", undefined],
    ["1760000000", 1_760_000_000_000],
    ["0", 0],
    ["2026-01-31T12:00:00Z", Date.UTC(2026, 0, 31, 12)],
    ["2026-01-31T12:00Z", Date.UTC(2026, 0, 31, 12)],
    ["2026-01-31T12:00:00.250Z", Date.UTC(2026, 0, 31, 12, 0, 0, 250)],
    ["2026-01-31T14:00:00+02:00", Date.UTC(2026, 0, 31, 12)],
    ["2026-01-31T07:00:00-0500", Date.UTC(2026, 0, 31, 12)],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
  ];
  for (const [text, expected] of rows) {
    test(`${JSON.stringify(text)} → ${expected}`, () => {
      const result = parseOccurredAt(text);
      assert.ok(result.ok);
      assert.equal(result.value, expected);
    });
  }
  for (const text of [
    "2025-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-01-31 12:00:00Z",
    "-5",
  ]) {
    test(`${JSON.stringify(text)} is refused`, () => {
      expectFail(parseOccurredAt(text), "invalid_timestamp", "occurred_at");
    });
  }
  test("a given occurred_at is used and flagged", () => {
    const f = expectOk(parse(withParams({ occurred_at: "1700000000" })));
    assert.deepEqual([f.occurredAt, f.occurredAtGiven], [1_700_000_000_000, true]);
  });
});

describe("content hash", () => {
  const hash = (pairs: Pairs, mapping?: ParamMapping, receivedAt?: number) =>
    expectOk(parse(pairs, mapping, receivedAt)).contentHash;

  test("same content in any parameter order → same hash", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...BASE, ["sub_id", "s"], ["x", "1"], ["y", "2"]] as Pairs, { minLength: 8 }),
        (pairs) => {
          assert.equal(hash(pairs), hash([...BASE, ["sub_id", "s"], ["x", "1"], ["y", "2"]]));
        },
      ),
    );
  });

  const same: Array<[string, Pairs, Pairs, ParamMapping?, number?]> = [
    ["a defaulted occurred_at received later", BASE, BASE, undefined, RECEIVED + 60_000],
    ["another signature", [...BASE, ["ts", "1"], ["sig", "aa"]], [...BASE, ["ts", "2"], ["sig", "bb"]]],
    ["currency case", BASE, withParams({ currency: "eur" })],
    ["the same amount written differently", BASE, withParams({ amount: "100.5" })],
    [
      "a mapped name",
      BASE,
      withParams({ click_id: undefined, btag: CLICK }),
      { params: { btag: "click_id" }, values: {} },
    ],
    ["an empty optional field", BASE, [...BASE, ["sub_id", ""]]],
  ];
  for (const [name, a, b, mapping, receivedAt] of same) {
    test(`unchanged by ${name}`, () => assert.equal(hash(a), hash(b, mapping, receivedAt)));
  }

  const different: Array<[string, Pairs]> = [
    ["the amount", withParams({ amount: "100.51" })],
    ["the event", withParams({ event: "deposit" })],
    ["a given occurred_at", withParams({ occurred_at: "1700000000" })],
    ["the test flag", withParams({ test: "1" })],
    ["an extra parameter", [...BASE, ["campaign", "a"]]],
    ["the click", withParams({ click_id: "other" })],
  ];
  for (const [name, pairs] of different) {
    test(`changed by ${name}`, () => assert.notEqual(hash(pairs), hash(BASE)));
  }
});
