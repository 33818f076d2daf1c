import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ErrorCode } from "../../src/domain/errors.ts";
import { jsonParams } from "../../src/domain/json-params.ts";
import { EMPTY_MAPPING, parsePostbackParams } from "../../src/domain/postback-params.ts";

describe("jsonParams", () => {
  const accepted: Array<[string, string, Array<[string, string]>]> = [
    ["numbers keep their source text", `{"amount":100.50}`, [["amount", "100.50"]]],
    ["an exponent reaches the amount parser as written", `{"amount":1e3}`, [["amount", "1e3"]]],
    ["big integers stay exact", `{"txid":12345678901234567890}`, [["txid", "12345678901234567890"]]],
    ["negative zero", `{"amount":-0}`, [["amount", "-0"]]],
    [
      "booleans as words, nulls dropped",
      `{"test":true,"x":false,"sub_id":null}`,
      [
        ["test", "true"],
        ["x", "false"],
      ],
    ],
    [
      "strings with escapes, order kept",
      `{"b":"line\\nbreak","a":"\\u00e9"}`,
      [
        ["b", "line\nbreak"],
        ["a", "é"],
      ],
    ],
    ["an empty object", ` { } `, []],
  ];
  for (const [name, text, pairs] of accepted) {
    test(name, () => assert.deepEqual(jsonParams(text), { ok: true, value: pairs }));
  }

  const refused: Array<[string, string, ErrorCode, string | undefined]> = [
    ["not JSON", `{"event":`, "invalid_json", undefined],
    ["an array", `[{"event":"ftd"}]`, "invalid_json", undefined],
    ["a string", `"ftd"`, "invalid_json", undefined],
    ["a number", `42`, "invalid_json", undefined],
    ["null", `null`, "invalid_json", undefined],
    ["a nested object", `{"event":"ftd","meta":{"a":1}}`, "invalid_field", "meta"],
    ["a nested array", `{"tags":[1,2]}`, "invalid_field", "tags"],
    ["a repeated name", `{"txid":"a","amount":"1","txid":"b"}`, "ambiguous_parameter", "txid"],
    ["a name repeated through an escape", `{"txid":"a","\\u0074xid":"b"}`, "ambiguous_parameter", "txid"],
  ];
  for (const [name, text, code, field] of refused) {
    test(`refused: ${name} → ${code}`, () => {
      const result = jsonParams(text);
      assert.ok(!result.ok);
      assert.deepEqual([result.error.code, result.error.field], [code, field]);
    });
  }

  test("a value that looks like a name is not one", () => {
    assert.deepEqual(jsonParams(`{"a":"\\"b\\":","b":"x"}`), {
      ok: true,
      value: [
        ["a", '"b":'],
        ["b", "x"],
      ],
    });
  });

  test("1e3 is refused later by amount parsing; 100.50 is exact", () => {
    const parse = (amount: string) => {
      const pairs = jsonParams(`{"event":"ftd","txid":"t","amount":${amount},"currency":"EUR"}`);
      assert.ok(pairs.ok);
      return parsePostbackParams(pairs.value, EMPTY_MAPPING, 0);
    };
    const exact = parse("100.50");
    assert.ok(exact.ok);
    assert.equal(exact.value.amountMinor, 10_050);
    const exponent = parse("1e3");
    assert.ok(!exponent.ok);
    assert.deepEqual([exponent.error.code, exponent.error.field], ["invalid_amount", "amount"]);
  });

  test("property: a flat object of strings round-trips as its entries", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (object) => {
        assert.deepEqual(jsonParams(JSON.stringify(object)), { ok: true, value: Object.entries(object) });
      }),
    );
  });
});
