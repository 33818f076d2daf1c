/** The raw request kept in the request log: evidence without secrets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  RAW_BODY_LIMIT,
  type RawRequest,
  rawRequestJson,
  redactFormText,
  redactJsonText,
} from "../../../src/app/ingest/request-log.ts";

const SECRET = "S3cr3t_Value_9f8e";

function raw(
  over: Partial<RawRequest> = {},
): Record<string, unknown> & { body: string; query: string; headers: Record<string, string> } {
  const text = rawRequestJson({ method: "POST", rawQuery: "", headers: {}, body: Buffer.alloc(0), ...over });
  return JSON.parse(text);
}

test("query and form text: sig and token values are redacted, however the name is encoded", () => {
  const cases: Array<[string, string]> = [
    [`event=ftd&sig=${SECRET}&ts=1`, "event=ftd&sig=[redacted]&ts=1"],
    [`token=${SECRET}`, "token=[redacted]"],
    [`%73ig=${SECRET}&%74oken=${SECRET}`, "%73ig=[redacted]&%74oken=[redacted]"],
    [`sig=${SECRET}&sig=${SECRET}`, "sig=[redacted]&sig=[redacted]"],
    [`sig&token=`, "sig=[redacted]&token=[redacted]"],
    ["signature=kept&tokens=kept&a=b%26sig%3Dx", "signature=kept&tokens=kept&a=b%26sig%3Dx"],
    ["", ""],
  ];
  for (const [input, expected] of cases) assert.equal(redactFormText(input), expected, input);
});

test("query and form text: only the secret pairs change, every other byte is kept (property)", () => {
  // What the redaction means, written the plain way: split on '&', replace secret pairs, join.
  const reference = (text: string) =>
    text
      .split("&")
      .map((part) => {
        const name = part.split("=", 1)[0]!;
        let decoded = name;
        try {
          decoded = decodeURIComponent(name.replace(/\+/g, " "));
        } catch {}
        return decoded === "sig" || decoded === "token" ? `${name}=[redacted]` : part;
      })
      .join("&");
  const piece = fc.constantFrom("sig", "token", "%73ig", "to+ken", "s", "=", "&", "%", "x", "%zz", "+");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const text = pieces.join("");
      assert.equal(redactFormText(text), reference(text));
    }),
  );
});

test("JSON text: the value of every sig/token member is redacted, whatever its type or spelling", () => {
  const cases: Array<[string, string]> = [
    [`{"token":"${SECRET}","a":1}`, '{"token":"[redacted]","a":1}'],
    ['{"token": 123456789, "a": "b"}', '{"token": "[redacted]", "a": "b"}'],
    [`{"\\u0074oken":"${SECRET}"}`, '{"\\u0074oken":"[redacted]"}'],
    [`{"sig" : "${SECRET}"}`, '{"sig" : "[redacted]"}'],
    [`{"token":{"v":"${SECRET}"},"x":[1,2]}`, '{"token":"[redacted]","x":[1,2]}'],
    [`{"meta":{"token":"${SECRET}"}}`, '{"meta":{"token":"[redacted]"}}'],
    [`{"token":"a\\"${SECRET}"}`, '{"token":"[redacted]"}'],
    [`{"note":"token","token":true}`, '{"note":"token","token":"[redacted]"}'],
    [`["token","${SECRET}"]`, `["token","${SECRET}"]`],
    // Broken JSON is refused, but its secrets still must not reach the log.
    [`{"token":"${SECRET}`, '{"token":"[redacted]"'],
    [`{"event":"ftd","token":${SECRET}`, '{"event":"ftd","token":"[redacted]"'],
  ];
  for (const [input, expected] of cases) assert.equal(redactJsonText(input), expected, input);
});

test("headers: only useful ones are kept; credentials are redacted (keeping the auth scheme)", () => {
  const logged = raw({
    headers: {
      "content-type": "application/json",
      "user-agent": "op-backend/1.0",
      "x-request-id": "r-1",
      "webhook-id": "msg_1",
      "webhook-timestamp": "1800000000",
      "webhook-signature": `v1,${SECRET}`,
      authorization: `Bearer ${SECRET}`,
      "x-postwire-token": SECRET,
      cookie: `session=${SECRET}`,
      "x-api-key": SECRET,
    },
  });
  assert.deepEqual(logged.headers, {
    "content-type": "application/json",
    "user-agent": "op-backend/1.0",
    "x-request-id": "r-1",
    "webhook-id": "msg_1",
    "webhook-timestamp": "1800000000",
    "webhook-signature": "[redacted]",
    authorization: "Bearer [redacted]",
    "x-postwire-token": "[redacted]",
  });
});

test("bodies are redacted by content type; other types are treated as form text", () => {
  const cases: Array<[string, string, string]> = [
    ["application/json; charset=utf-8", `{"token":"${SECRET}"}`, '{"token":"[redacted]"}'],
    ["application/vnd.op+json", `{"sig":"${SECRET}"}`, '{"sig":"[redacted]"}'],
    ["application/x-www-form-urlencoded", `a=1&token=${SECRET}`, "a=1&token=[redacted]"],
    ["text/plain", `token=${SECRET}`, "token=[redacted]"],
  ];
  for (const [contentType, body, expected] of cases) {
    const logged = raw({ headers: { "content-type": contentType }, body: Buffer.from(body) });
    assert.equal(logged.body, expected, contentType);
  }
  assert.equal(raw({ rawQuery: `sig=${SECRET}&a=1`, method: "GET" }).query, "sig=[redacted]&a=1");
});

test("a long body is redacted before it is cut: no half secret survives at the boundary", () => {
  for (const offset of [-30, -12, -5, 0, 5]) {
    const head = `{"pad":"${"x".repeat(RAW_BODY_LIMIT + offset - 20)}",`;
    const body = `${head}"token":"${SECRET}${"y".repeat(40)}","tail":"${"z".repeat(100)}"}`;
    const logged = raw({ headers: { "content-type": "application/json" }, body: Buffer.from(body) });
    assert.ok(!logged.body.includes(SECRET.slice(0, 6)), `offset ${offset}`);
    assert.equal(logged["body_truncated"], true);
    assert.equal(logged["body_bytes"], Buffer.byteLength(body));
    assert.ok(Buffer.byteLength(logged.body) <= RAW_BODY_LIMIT);
  }
  const small = raw({ headers: { "content-type": "application/json" }, body: Buffer.from('{"a":"b"}') });
  assert.equal(small["body_truncated"], undefined);
});

test("a body that is not UTF-8 is flagged and still redacted", () => {
  const body = Buffer.concat([
    Buffer.from(`{"token":"${SECRET}","x":"`),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ]);
  const logged = raw({ headers: { "content-type": "application/json" }, body });
  assert.equal(logged["body_invalid_utf8"], true);
  assert.ok(!logged.body.includes(SECRET));
});

test("property: a token never reaches the log, in the query, a form body or a JSON body", () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9_.~-]{12,40}$/);
  const other = fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 20 })), {
    maxLength: 5,
  });
  fc.assert(
    fc.property(secret, other, fc.constantFrom("token", "sig"), (value, pairs, name) => {
      fc.pre(pairs.every(([n, v]) => !v.includes(value) && n !== "token" && n !== "sig"));
      const all: Array<[string, string]> = [...pairs, [name, value]];
      const form = new URLSearchParams(all).toString();
      const json = JSON.stringify(Object.fromEntries(all));
      const logs = [
        rawRequestJson({ method: "GET", rawQuery: form, headers: {}, body: Buffer.alloc(0) }),
        rawRequestJson({
          method: "POST",
          rawQuery: "",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: Buffer.from(form),
        }),
        rawRequestJson({
          method: "POST",
          rawQuery: "",
          headers: { "content-type": "application/json" },
          body: Buffer.from(json),
        }),
      ];
      for (const log of logs) assert.ok(!log.includes(value), log);
    }),
  );
});
