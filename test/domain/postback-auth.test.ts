/** Table-driven tests of postback authentication: settings validation and every check's outcome. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { OperatorAuth } from "../../src/domain/model.ts";
import {
  type AuthInput,
  authenticatePostback,
  checkSecretByHand,
  hashToken,
  type PreparedAuth,
  prepareAuth,
} from "../../src/domain/postback-auth.ts";
import { encodeSecret, signQuery, signWebhook } from "../../src/domain/signing.ts";

const NOW = 1_800_000_000;
const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const KEY_X = Buffer.alloc(32, 0xee);
const SECRET_A = encodeSecret(KEY_A);
const SECRET_B = encodeSecret(KEY_B);
const TOKEN = "tok_0123456789";
const TOKEN_HASH = hashToken(TOKEN).toString("hex");

const auth = (over: Partial<OperatorAuth> = {}): OperatorAuth => ({
  hmacSecrets: [SECRET_A],
  ipAllowlist: [],
  trustedProxies: [],
  staticTokenHash: null,
  ...over,
});

function prepared(over: Partial<OperatorAuth> = {}): PreparedAuth {
  const result = prepareAuth(auth(over));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

test("prepareAuth refuses unusable settings, naming the field", () => {
  const cases: Array<[string, Partial<OperatorAuth>, string]> = [
    ["three live secrets", { hmacSecrets: [SECRET_A, SECRET_B, encodeSecret(KEY_X)] }, "hmac_secrets"],
    ["a secret that is not base64", { hmacSecrets: ["whsec_???"] }, "secret"],
    ["a secret under 16 bytes", { hmacSecrets: [encodeSecret(Buffer.alloc(8, 1))] }, "hmac_secrets"],
    ["a bad allowlist entry", { ipAllowlist: ["10.0.0.0/33"] }, "ip_allowlist"],
    ["a bad trusted proxy", { trustedProxies: ["proxy.local"] }, "trusted_proxies"],
    ["a static token without an allowlist", { staticTokenHash: TOKEN_HASH }, "static_token"],
    [
      "a malformed token hash",
      { hmacSecrets: [], ipAllowlist: ["10.0.0.0/8"], staticTokenHash: "abc" },
      "static_token",
    ],
    ["nothing at all", { hmacSecrets: [] }, "auth"],
  ];
  for (const [name, over, field] of cases) {
    const result = prepareAuth(auth(over));
    assert.equal(result.ok, false, name);
    if (!result.ok) {
      assert.equal(result.error.code, "invalid_field", name);
      assert.equal(result.error.field, field, name);
    }
  }
});

test("checkSecretByHand: at least 24 bytes of canonical base64, named hmac_secrets", () => {
  assert.ok(checkSecretByHand(encodeSecret(Buffer.alloc(24, 7))).ok);
  assert.ok(checkSecretByHand(encodeSecret(Buffer.alloc(32, 7))).ok);
  for (const secret of [encodeSecret(Buffer.alloc(23, 7)), encodeSecret(Buffer.alloc(16, 7)), "whsec_!!"]) {
    const result = checkSecretByHand(secret);
    assert.equal(result.ok, false, secret);
    if (!result.ok)
      assert.deepEqual([result.error.code, result.error.field], ["invalid_field", "hmac_secrets"]);
  }
  // Stored secrets of 16 bytes, accepted before, still verify.
  assert.ok(prepareAuth(auth({ hmacSecrets: [encodeSecret(Buffer.alloc(16, 7))] })).ok);
});

test("prepareAuth accepts each sensible combination", () => {
  const cases: Array<Partial<OperatorAuth>> = [
    {},
    { hmacSecrets: [SECRET_A, SECRET_B] },
    { hmacSecrets: [], ipAllowlist: ["203.0.113.0/24"] },
    { hmacSecrets: [], ipAllowlist: ["2001:db8::/32"], staticTokenHash: TOKEN_HASH },
    { ipAllowlist: ["10.0.0.0/8"], trustedProxies: ["127.0.0.1"], staticTokenHash: TOKEN_HASH.toUpperCase() },
  ];
  for (const over of cases) assert.ok(prepareAuth(auth(over)).ok, JSON.stringify(over));
});

type Pairs = Array<[string, string]>;
const PARAMS: Pairs = [
  ["event", "ftd"],
  ["txid", "t1"],
  ["amount", "1.00"],
  ["currency", "EUR"],
];
const BODY = Buffer.from('{"event":"ftd","txid":"t1"}');

function get(pairs: Pairs, over: Partial<AuthInput> = {}): AuthInput {
  return {
    method: "GET",
    clientIp: "127.0.0.1",
    pairs,
    body: Buffer.alloc(0),
    webhookId: undefined,
    webhookTimestamp: undefined,
    webhookSignature: undefined,
    token: undefined,
    nowSeconds: NOW,
    ...over,
  };
}
function signedGet(key: Buffer, ts: number | string = NOW, extra: Pairs = []): Pairs {
  const pairs: Pairs = [...PARAMS, ...extra, ["ts", String(ts)]];
  return [...pairs, ["sig", signQuery(key, pairs)]];
}
function post(key: Buffer | undefined, over: Partial<AuthInput> = {}, ts: number = NOW): AuthInput {
  const id = "msg_1";
  return {
    ...get([]),
    method: "POST",
    body: BODY,
    webhookId: id,
    webhookTimestamp: String(ts),
    webhookSignature: key ? signWebhook(key, id, String(ts), BODY) : undefined,
    ...over,
  };
}

/** A POST signed with `key` under the message id `id`. */
function postWithId(key: Buffer, id: string): AuthInput {
  return post(undefined, { webhookId: id, webhookSignature: signWebhook(key, id, String(NOW), BODY) });
}

interface Case {
  readonly name: string;
  readonly auth: PreparedAuth;
  readonly input: AuthInput;
  /** undefined: accepted. */
  readonly code?: string;
  readonly field?: string;
}

const hmac = prepared();
const rotating = prepared({ hmacSecrets: [SECRET_A, SECRET_B] });
const allow = prepared({ hmacSecrets: [], ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"] });
const token = prepared({ hmacSecrets: [], ipAllowlist: ["127.0.0.1/32"], staticTokenHash: TOKEN_HASH });
const everything = prepared({ ipAllowlist: ["127.0.0.1/32"], staticTokenHash: TOKEN_HASH });
const tamperedSig = signedGet(KEY_A).map(([n, v]): [string, string] => [n, n === "amount" ? "9.00" : v]);

// biome-ignore format: one case per line reads as a table
const CASES: Case[] = [
  { name: "GET signed", auth: hmac, input: get(signedGet(KEY_A)) },
  { name: "GET sig in upper-case hex", auth: hmac, input: get(signedGet(KEY_A).map(([n, v]) => [n, n === "sig" ? v.toUpperCase() : v])) },
  { name: "GET unsigned", auth: hmac, input: get(PARAMS), code: "missing_signature", field: "ts" },
  { name: "GET ts without sig", auth: hmac, input: get([...PARAMS, ["ts", String(NOW)]]), code: "missing_signature", field: "sig" },
  { name: "GET ts not digits", auth: hmac, input: get(signedGet(KEY_A, "17e8")), code: "invalid_signature", field: "ts" },
  { name: "GET ts 301 s old", auth: hmac, input: get(signedGet(KEY_A, NOW - 301)), code: "signature_expired", field: "ts" },
  { name: "GET ts 301 s ahead", auth: hmac, input: get(signedGet(KEY_A, NOW + 301)), code: "signature_expired", field: "ts" },
  { name: "GET ts 300 s old", auth: hmac, input: get(signedGet(KEY_A, NOW - 300)) },
  { name: "GET ts 300 s ahead", auth: hmac, input: get(signedGet(KEY_A, NOW + 300)) },
  { name: "GET value changed after signing", auth: hmac, input: get(tamperedSig), code: "invalid_signature", field: "sig" },
  { name: "GET signed with another key", auth: hmac, input: get(signedGet(KEY_X)), code: "invalid_signature", field: "sig" },
  { name: "GET signed with the second live key", auth: rotating, input: get(signedGet(KEY_B)) },
  { name: "GET signed with a retired key", auth: prepared({ hmacSecrets: [SECRET_B] }), input: get(signedGet(KEY_A)), code: "invalid_signature" },
  { name: "GET repeated ts", auth: hmac, input: get([...signedGet(KEY_A), ["ts", "1"]]), code: "ambiguous_parameter", field: "ts" },
  { name: "GET repeated sig", auth: hmac, input: get([...signedGet(KEY_A), ["sig", "0".repeat(64)]]), code: "ambiguous_parameter", field: "sig" },
  { name: "POST signed", auth: hmac, input: post(KEY_A) },
  { name: "POST signed with the second live key", auth: rotating, input: post(KEY_B) },
  { name: "POST unsigned", auth: hmac, input: post(undefined), code: "missing_signature" },
  { name: "POST without webhook-id", auth: hmac, input: post(KEY_A, { webhookId: undefined }), code: "missing_signature" },
  { name: "POST timestamp not digits", auth: hmac, input: post(KEY_A, { webhookTimestamp: "2026-01-01" }), code: "invalid_signature", field: "webhook-timestamp" },
  { name: "POST 301 s old", auth: hmac, input: post(KEY_A, {}, NOW - 301), code: "signature_expired", field: "webhook-timestamp" },
  { name: "POST 301 s ahead", auth: hmac, input: post(KEY_A, {}, NOW + 301), code: "signature_expired", field: "webhook-timestamp" },
  { name: "POST 300 s either way", auth: hmac, input: post(KEY_A, {}, NOW + 300) },
  { name: "POST body changed", auth: hmac, input: post(KEY_A, { body: Buffer.from(`${BODY} `) }), code: "invalid_signature", field: "webhook-signature" },
  { name: "POST another message id", auth: hmac, input: post(KEY_A, { webhookId: "msg_2" }), code: "invalid_signature" },
  { name: "POST v2 signature only", auth: hmac, input: post(KEY_A, { webhookSignature: "v2,AAAA" }), code: "invalid_signature" },
  { name: "POST webhook-id of 255 printable ASCII characters", auth: hmac, input: postWithId(KEY_A, `m ${"x~".repeat(126)}!`) },
  { name: "POST webhook-id of 256 characters", auth: hmac, input: postWithId(KEY_A, "x".repeat(256)), code: "invalid_field", field: "webhook-id" },
  { name: "POST webhook-id not ASCII", auth: hmac, input: postWithId(KEY_A, "msg_é"), code: "invalid_field", field: "webhook-id" },
  { name: "POST webhook-id with a control character", auth: hmac, input: postWithId(KEY_A, "msg\u0001"), code: "invalid_field", field: "webhook-id" },
  { name: "POST bad webhook-id without HMAC (token)", auth: token, input: post(undefined, { token: TOKEN, webhookId: "\u0000" }), code: "invalid_field", field: "webhook-id" },
  { name: "POST GET-style params ignored", auth: hmac, input: post(undefined, { pairs: signedGet(KEY_A) }), code: "missing_signature" },
  { name: "IPv4 inside the allowlist", auth: allow, input: get(PARAMS, { clientIp: "203.0.113.9" }) },
  { name: "IPv6 inside the allowlist", auth: allow, input: get(PARAMS, { clientIp: "2001:db8::1" }) },
  { name: "IPv4-mapped IPv6 inside", auth: allow, input: get(PARAMS, { clientIp: "::ffff:203.0.113.9" }) },
  { name: "outside the allowlist", auth: allow, input: get(PARAMS, { clientIp: "198.51.100.1" }), code: "ip_not_allowed" },
  { name: "no usable client address", auth: allow, input: get(PARAMS, { clientIp: "" }), code: "ip_not_allowed" },
  { name: "static token right", auth: token, input: get(PARAMS, { token: TOKEN }) },
  { name: "static token missing", auth: token, input: get(PARAMS), code: "invalid_token" },
  { name: "static token wrong", auth: token, input: get(PARAMS, { token: `${TOKEN}x` }), code: "invalid_token" },
  { name: "static token right, address wrong", auth: token, input: get(PARAMS, { token: TOKEN, clientIp: "10.1.1.1" }), code: "ip_not_allowed" },
  { name: "all three configured and met", auth: everything, input: get(signedGet(KEY_A), { token: TOKEN }) },
  { name: "all three, token missing", auth: everything, input: get(signedGet(KEY_A)), code: "invalid_token" },
  { name: "all three, signature missing", auth: everything, input: get(PARAMS, { token: TOKEN }), code: "missing_signature" },
];

for (const c of CASES) {
  test(`authenticatePostback: ${c.name} → ${c.code ?? "ok"}`, () => {
    const result = authenticatePostback(c.auth, c.input);
    if (c.code === undefined) {
      assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.error));
      return;
    }
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, c.code);
    if (c.field !== undefined) assert.equal(result.error.field, c.field);
  });
}

test("property: any change to a signed POST body is refused", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (bytes, at, flip) => {
        const body = Buffer.from(bytes);
        const ts = String(NOW);
        const signature = signWebhook(KEY_A, "m", ts, body);
        const changed = Buffer.from(body);
        const i = at % changed.length;
        changed[i] = changed[i]! ^ flip;
        const input = post(undefined, { webhookId: "m", webhookSignature: signature });
        assert.ok(authenticatePostback(hmac, { ...input, body }).ok);
        assert.equal(authenticatePostback(hmac, { ...input, body: changed }).ok, false);
      },
    ),
  );
});
