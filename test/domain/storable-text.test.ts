/** Text every database stores alike: what is refused, its safe form, and UTF-8 prefixes by bytes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isUnstorable, storableText, utf8Prefix } from "../../src/domain/storable-text.ts";

test("isUnstorable and storableText: NUL and unpaired surrogates, nothing else", () => {
  const cases: Array<[string, boolean, string]> = [
    ["plain", false, "plain"],
    ["", false, ""],
    ["tab\tnewline\n\u0001", false, "tab\tnewline\n\u0001"],
    ["jöhn 😀", false, "jöhn 😀"],
    ["a\u0000b", true, "a\uFFFDb"],
    ["\u0000\u0000", true, "\uFFFD\uFFFD"],
    ["lone \ud800 high", true, "lone \uFFFD high"],
    ["lone \udc00 low", true, "lone \uFFFD low"],
    ["\ud83d", true, "\uFFFD"],
  ];
  for (const [text, unstorable, safe] of cases) {
    assert.equal(isUnstorable(text), unstorable, JSON.stringify(text));
    assert.equal(storableText(text), safe, JSON.stringify(text));
  }
});

test("storableText always gives storable text, and leaves storable text as it is (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      const safe = storableText(text);
      assert.equal(isUnstorable(safe), false);
      assert.equal(safe.length, text.length);
      if (!isUnstorable(text)) assert.equal(safe, text);
    }),
  );
});

test("utf8Prefix: the longest start of the text within the byte limit, cut between characters (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), fc.integer({ min: 0, max: 64 }), (text, max) => {
      const prefix = utf8Prefix(text, max);
      assert.ok(text.startsWith(prefix));
      assert.ok(Buffer.byteLength(prefix) <= max);
      assert.ok(prefix.isWellFormed());
      if (prefix !== text) {
        // One more character (code point) would not fit.
        const next = String.fromCodePoint(text.codePointAt(prefix.length)!);
        assert.ok(Buffer.byteLength(prefix + next) > max);
      }
    }),
  );
  assert.equal(utf8Prefix("é".repeat(600), 1024), "é".repeat(512));
  assert.equal(utf8Prefix("😀😀", 7), "😀");
});
