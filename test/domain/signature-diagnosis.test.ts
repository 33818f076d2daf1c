/**
 * Signature diagnostics: each common signing mistake is recognised from the request alone (GET
 * and POST), an honest mismatch (another secret) names none, and nothing returned reveals the
 * secret or the signature the server expected.
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { diagnoseQuerySignature, diagnoseWebhookSignature } from "../../src/domain/signature-diagnosis.ts";
import { canonicalQuery, encodeSecret, signQuery, signWebhook } from "../../src/domain/signing.ts";

const secret = randomBytes(32);
const whole = encodeSecret(secret);
const hmac = (key: Uint8Array | string, text: string | Buffer, encoding: "hex" | "base64") =>
  createHmac("sha256", key).update(text).digest(encoding);

type Pairs = Array<[string, string]>;
const PAIRS: Pairs = [
  ["txid", "t 1"],
  ["event", "ftd"],
  ["sub_id", "a~b*c"],
  ["ts", "1700000000"],
];
/** The query form as Python's urlencode(sorted(...)) writes it: '+' for a space. */
const plusForm = (pairs: Pairs) =>
  [...pairs]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v).replace(/%20/g, "+")}`)
    .join("&");

/** What must never appear in a diagnosis: the secret in any form, and the expected signatures. */
function assertRevealsNothing(diagnosis: unknown, expected: string[]) {
  const text = JSON.stringify(diagnosis);
  for (const hidden of [whole, whole.slice(6), secret.toString("hex"), ...expected])
    assert.ok(!text.includes(hidden), `the diagnosis does not contain ${hidden.slice(0, 12)}…`);
}

describe("GET signature diagnosis", () => {
  const canonical = canonicalQuery(PAIRS);
  const expected = signQuery(secret, PAIRS);
  const cases: Array<[string, string, string | undefined]> = [
    ["the whole whsec_ string as the key", hmac(Buffer.from(whole), canonical, "hex"), "secret_with_prefix"],
    ["the base64 text as the key", hmac(Buffer.from(whole.slice(6)), canonical, "hex"), "secret_as_text"],
    ["'+' for spaces (form encoding)", hmac(secret, plusForm(PAIRS), "hex"), "form_encoding"],
    [
      "the pairs in the order sent",
      hmac(
        secret,
        PAIRS.map(([n, v]) => `${n}=${encodeURIComponent(v).replace("*", "%2A")}`).join("&"),
        "hex",
      ),
      "unsorted_query",
    ],
    ["base64 instead of hex", hmac(secret, canonical, "base64"), "base64_signature"],
    ["another secret", hmac(randomBytes(32), canonical, "hex"), undefined],
  ];
  for (const [name, sig, mistake] of cases)
    test(name, () => {
      const d = diagnoseQuerySignature([randomBytes(32), secret], [...PAIRS, ["sig", sig]], sig);
      assert.equal(d.mistake, mistake);
      assert.equal(d.verified["canonical_query"], canonical);
      assert.ok(d.hint.length > 20);
      assertRevealsNothing(d, [expected, hmac(secret, canonical, "base64")]);
    });

  test("a static token in the query is not echoed", () => {
    const d = diagnoseQuerySignature([secret], [...PAIRS, ["token", "s3cr3t-token"]], "00");
    assert.ok(!JSON.stringify(d).includes("s3cr3t-token"));
    assert.match(String(d.verified["canonical_query"]), /token=%5Bhidden%5D/);
  });
});

describe("POST signature diagnosis", () => {
  const id = "tx-1";
  const ts = "1700000000";
  const signedBody = JSON.stringify({ event: "ftd", txid: "tx-1", amount: "10.00" });
  const sentPretty = Buffer.from(JSON.stringify(JSON.parse(signedBody), null, 2));
  const body = Buffer.from(signedBody);
  const expected = signWebhook(secret, id, ts, body).slice(3);
  const cases: Array<[string, Buffer, string, string | undefined]> = [
    [
      "the whole whsec_ string as the key",
      body,
      `v1,${hmac(Buffer.from(whole), `${id}.${ts}.${signedBody}`, "base64")}`,
      "secret_with_prefix",
    ],
    [
      "the base64 text as the key",
      body,
      `v1,${hmac(Buffer.from(whole.slice(6)), `${id}.${ts}.${signedBody}`, "base64")}`,
      "secret_as_text",
    ],
    [
      "the body re-serialised after signing",
      sentPretty,
      signWebhook(secret, id, ts, signedBody),
      "body_changed",
    ],
    ["the body alone signed", body, `v1,${hmac(secret, signedBody, "base64")}`, "body_only_signed"],
    [
      "hex instead of base64",
      body,
      `v1,${hmac(secret, `${id}.${ts}.${signedBody}`, "hex")}`,
      "hex_signature",
    ],
    ["another secret", body, signWebhook(randomBytes(32), id, ts, body), undefined],
  ];
  for (const [name, sent, header, mistake] of cases)
    test(name, () => {
      const d = diagnoseWebhookSignature([secret], id, ts, sent, header);
      assert.equal(d.mistake, mistake);
      assert.equal(d.verified["body_length"], sent.byteLength);
      assert.match(String(d.verified["body_sha256"]), /^[0-9a-f]{64}$/);
      assert.equal(d.verified["webhook_id"], id);
      assertRevealsNothing(d, [expected]);
    });

  test("a body that is not JSON is diagnosed without a serialisation guess", () => {
    const d = diagnoseWebhookSignature([secret], id, ts, Buffer.from("a=1&b=2"), "v1,AAAA");
    assert.equal(d.mistake, undefined);
  });
});

describe("properties", () => {
  const pairs = fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
    maxLength: 6,
  });
  test("a signature of random bytes never names a mistake (no false diagnosis)", () => {
    fc.assert(
      fc.property(pairs, fc.uint8Array({ minLength: 32, maxLength: 32 }), (ps, random) => {
        const sig = Buffer.from(random).toString("hex");
        return diagnoseQuerySignature([secret], ps, sig).mistake === undefined;
      }),
    );
  });
  test("signing with the whole whsec_ string is recognised for any query", () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        const sig = hmac(Buffer.from(whole), canonicalQuery(ps), "hex");
        return diagnoseQuerySignature([secret], ps, sig).mistake === "secret_with_prefix";
      }),
    );
  });
});
