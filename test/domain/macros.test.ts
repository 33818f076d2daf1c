import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { Result } from "../../src/domain/errors.ts";
import {
  MACRO_SYNTAXES,
  macroPlaceholder,
  renderTemplate,
  templateMacros,
  validateTemplate,
} from "../../src/domain/macros.ts";

const OUTBOUND = [
  "click_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
  "event",
  "payout",
  "currency",
  "conversion_id",
  "program_id",
  "occurred_at",
  "status",
] as const;

function failure<T>(r: Result<T>) {
  if (r.ok) assert.fail(`expected a failure, got ok ${JSON.stringify(r.value)}`);
  return r.error;
}

describe("renderTemplate", () => {
  const base = "https://t.example/pb?cid={click_id}&s={sub1}";
  const rows: [string, string | undefined, string][] = [
    ["plain value", "abc123", "https://t.example/pb?cid=abc123&s="],
    [
      "ampersand and equals cannot add a parameter",
      "x&status=paid",
      "https://t.example/pb?cid=x%26status%3Dpaid&s=",
    ],
    ["hash cannot cut the URL", "a#frag", "https://t.example/pb?cid=a%23frag&s="],
    ["slash and question mark", "a/b?c", "https://t.example/pb?cid=a%2Fb%3Fc&s="],
    ["space", "a b", "https://t.example/pb?cid=a%20b&s="],
    ["plus", "a+b", "https://t.example/pb?cid=a%2Bb&s="],
    ["percent", "100%", "https://t.example/pb?cid=100%25&s="],
    ["unicode", "café €", "https://t.example/pb?cid=caf%C3%A9%20%E2%82%AC&s="],
    ["emoji", "🎰", "https://t.example/pb?cid=%F0%9F%8E%B0&s="],
    ["lone surrogate does not throw", "a\uD800b", "https://t.example/pb?cid=a%EF%BF%BDb&s="],
    ["value containing a macro is not re-expanded", "{sub1}", "https://t.example/pb?cid=%7Bsub1%7D&s="],
    ["undefined value", undefined, "https://t.example/pb?cid=&s="],
    ["empty value", "", "https://t.example/pb?cid=&s="],
  ];
  for (const [name, value, want] of rows) {
    test(name, () => assert.equal(renderTemplate(base, { click_id: value, sub1: undefined }), want));
  }

  test("a value cannot change the parsed parameters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), (a, b) => {
        // Known limit (see encodeValue): "." and ".." stay dot segments whatever the encoding.
        fc.pre(a !== "." && a !== "..");
        const url = new URL(renderTemplate("https://t.example/x/{a}?p={a}&q={b}#{b}", { a, b }));
        assert.deepEqual([...url.searchParams.keys()], ["p", "q"]);
        assert.equal(url.searchParams.get("p"), a);
        assert.equal(url.searchParams.get("q"), b.toWellFormed());
        assert.equal(url.host, "t.example");
        assert.equal(url.pathname.split("/").length, 3, url.pathname);
      }),
    );
  });

  test("unknown macros become empty by default", () => {
    assert.equal(renderTemplate("https://t/?a={nope}&b={sub1}", { sub1: "1" }), "https://t/?a=&b=1");
    assert.equal(renderTemplate("https://t/?a={nope}", {}, { unknown: "empty" }), "https://t/?a=");
  });

  test("unknown macros can be kept literally", () => {
    assert.equal(
      renderTemplate(
        "https://t/?a={nope}&b={sub1}&c={gone}",
        { sub1: "1", gone: undefined },
        { unknown: "keep" },
      ),
      "https://t/?a={nope}&b=1&c=",
    );
  });

  test("prototype names are not values", () => {
    assert.equal(
      renderTemplate("https://t/?a={constructor}&b={toString}&c={__proto__}", {}),
      "https://t/?a=&b=&c=",
    );
  });

  test("text that is not a macro is left alone", () => {
    assert.equal(
      renderTemplate("https://t/?a={}&b={a-b}&c={ x }&d={{sub1}}", { sub1: "1" }),
      "https://t/?a={}&b={a-b}&c={ x }&d={1}",
    );
  });

  test("repeated macros are all replaced", () => {
    assert.equal(renderTemplate("{x}-{x}-{X}", { x: "1", X: "2" }), "1-1-2");
  });

  test("never throws", () => {
    const str = fc.string({ unit: "binary" });
    fc.assert(
      fc.property(str, fc.dictionary(str, fc.option(str, { nil: undefined })), (t, values) => {
        renderTemplate(t, values);
        renderTemplate(t, values, { unknown: "keep" });
      }),
    );
  });
});

describe("templateMacros", () => {
  const rows: [string, string, string[]][] = [
    ["in order, deduplicated", "https://t/{b}?x={a}&y={b}&z={c_1}", ["b", "a", "c_1"]],
    ["none", "https://t/?x=1", []],
    ["ignores malformed braces", "https://t/?a={}&b={a-b}&c={ x }", []],
    ["double braces contain a macro", "{{sub1}}", ["sub1"]],
    ["case sensitive", "{Sub1}{sub1}", ["Sub1", "sub1"]],
  ];
  for (const [name, template, want] of rows) {
    test(name, () => assert.deepEqual(templateMacros(template), want));
  }
});

describe("validateTemplate", () => {
  test("a valid template returns its macros", () => {
    const r = validateTemplate(
      "https://tracker.example/postback?cid={click_id}&p={payout}&c={currency}&p2={payout}",
      OUTBOUND,
      "url",
    );
    assert.deepEqual(r, { ok: true, value: ["click_id", "payout", "currency"] });
  });

  test("macros in the path and fragment are fine", () => {
    assert.ok(
      validateTemplate("http://tracker.example:8080/pb/{click_id}/{event}#{status}", OUTBOUND, "url").ok,
    );
  });

  test("unknown macros are listed with the valid ones", () => {
    const e = failure(
      validateTemplate("https://t.example/?a={clickid}&b={amount}&c={click_id}", OUTBOUND, "postback_url"),
    );
    assert.equal(e.code, "invalid_field");
    assert.equal(e.field, "postback_url");
    assert.match(e.message, /unknown macros \{clickid\}, \{amount\}/);
    assert.match(e.message, /valid macros are: \{click_id\}, \{sub1\}.*\{status\}/);
    assert.doesNotMatch(e.message.split("valid")[0] ?? "", /\{click_id\}/);
  });

  test("one unknown macro uses the singular", () => {
    assert.match(
      failure(validateTemplate("https://t.example/?a={x}", ["y"], "url")).message,
      /unknown macro \{x\}; valid macros are: \{y\}/,
    );
  });

  const refused: [string, string][] = [
    ["ftp", "ftp://t.example/?cid={click_id}"],
    ["javascript", "javascript:alert({click_id})"],
    ["relative", "/postback?cid={click_id}"],
    ["no scheme", "t.example/postback?cid={click_id}"],
    ["http without slashes", "http:t.example/?cid={click_id}"],
    ["backslashes", "http:\\\\t.example/?cid={click_id}"],
    ["empty", ""],
    ["no host", "https:///path"],
    ["space inside", "https://t.example/a b?cid={click_id}"],
    ["leading space", " https://t.example/?cid={click_id}"],
    ["newline", "https://t.example/?cid={click_id}\n"],
    ["bad port", "https://t.example:99999/?cid={click_id}"],
    ["macro as host", "https://{sub1}/pb"],
    ["macro in host", "https://{sub1}.t.example/pb"],
    ["macro in port", "https://t.example:{sub1}/pb"],
    ["macro in userinfo", "https://{sub1}@t.example/pb"],
    ["macro as the whole URL", "{click_id}"],
  ];
  for (const [name, template] of refused) {
    test(`refuses ${name}`, () => {
      const e = failure(validateTemplate(template, OUTBOUND, "url"));
      assert.equal(e.code, "invalid_field");
      assert.equal(e.field, "url");
    });
  }

  test("a non-http URL gets a message with an example", () => {
    assert.match(
      failure(validateTemplate("ftp://t.example/", OUTBOUND, "url")).message,
      /absolute http\(s\) URL.*"ftp:\/\/t\.example\/"/,
    );
  });

  test("a macro in the host says where to put it", () => {
    for (const t of ["https://{sub1}.t.example/", "https://t.example:{sub1}/", "https://{sub1}"]) {
      assert.match(failure(validateTemplate(t, OUTBOUND, "url")).message, /host or port.*path or query/, t);
    }
  });

  test("upper-case scheme is accepted", () => {
    assert.ok(validateTemplate("HTTPS://t.example/?cid={click_id}", OUTBOUND, "url").ok);
  });
});

describe("macroPlaceholder", () => {
  const rows: [(typeof MACRO_SYNTAXES)[number], string][] = [
    ["curly", "{click_id}"],
    ["square", "[CLICK_ID]"],
    ["percent", "%click_id%"],
    ["double_curly", "{{click_id}}"],
  ];
  for (const [syntax, want] of rows) {
    test(syntax, () => assert.equal(macroPlaceholder("click_id", syntax), want));
  }

  test("every syntax is covered", () => {
    assert.deepEqual(
      rows.map(([s]) => s),
      [...MACRO_SYNTAXES],
    );
  });

  test("a ready postback URL shows placeholders unencoded", () => {
    for (const syntax of MACRO_SYNTAXES) {
      const url = `https://pw.example/v1/postback/KEY?event=${macroPlaceholder("event", syntax)}&txid=${macroPlaceholder("txid", syntax)}`;
      assert.doesNotMatch(url, /%7B|%5B|%25/i);
    }
    assert.equal(
      `https://pw.example/v1/postback/KEY?event=${macroPlaceholder("event", "percent")}&txid=${macroPlaceholder("txid", "percent")}`,
      "https://pw.example/v1/postback/KEY?event=%event%&txid=%txid%",
    );
  });
});
