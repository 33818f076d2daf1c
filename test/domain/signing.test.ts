import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import {
  canonicalQuery,
  checkTimestamp,
  decodeSecret,
  encodeSecret,
  parseFormPairs,
  rfc3986Encode,
  SIGNATURE_TOLERANCE_SECONDS,
  signQuery,
  signWebhook,
  signWebhookAll,
  verifyQuerySignature,
  verifyWebhookSignature,
} from "../../src/domain/signing.ts";
import { SIGNING_VECTORS_FILE, signingVectors } from "../helpers/signing-vectors.ts";

const vectors = signingVectors;

function secretOf(s: string): Buffer {
  const r = decodeSecret(s);
  assert.ok(r.ok, `secret should decode: ${s}`);
  return r.value;
}

const vectorSecret = secretOf(vectors.secret);
const otherSecret = randomBytes(32);

// --- arbitraries -------------------------------------------------------------------------------

/** Any valid Unicode (no lone surrogates): what a UTF-8 sender can actually send. */
const unicode = (minLength = 0) => fc.string({ unit: "binary", minLength, maxLength: 40 });
const secret32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const pairArb = fc.tuple(
  unicode().filter((n) => n !== "sig"),
  unicode(),
);
const pairsArb = fc.array(pairArb, { maxLength: 10 });
/** Replace one code point of a non-empty string with a different one. */
const mutated = (s: string) =>
  fc
    .tuple(
      fc.nat({ max: Array.from(s).length - 1 }),
      unicode(1).map((c) => Array.from(c)[0]!),
    )
    .filter(([i, c]) => Array.from(s)[i] !== c)
    .map(([i, c]) => {
      const cps = Array.from(s);
      cps[i] = c;
      return cps.join("");
    });

// --- independent vectors (test/fixtures/signing-vectors.json) ---------------------------------

test("vectors: the fixture is the design's file, byte for byte (replaced whole, never edited)", () => {
  const digest = createHash("sha256").update(readFileSync(SIGNING_VECTORS_FILE)).digest("hex");
  assert.equal(digest, "f6c4770c6d0f5c4133c7cdae8a01127f9def012cafb6b626d0e8163ff65b29dd");
});

test("vectors: secret decodes to the given bytes and encodes back", () => {
  assert.equal(vectorSecret.toString("hex"), vectors.secret_bytes_hex);
  assert.equal(encodeSecret(Buffer.from(vectors.secret_bytes_hex, "hex")), vectors.secret);
  // Bare base64 (no prefix) is the same secret.
  assert.deepEqual(secretOf(vectors.secret.slice("whsec_".length)), vectorSecret);
});

for (const c of vectors.get.cases) {
  test(`vectors GET: ${c.name}`, () => {
    const pairs = Object.entries(c.params);
    assert.equal(canonicalQuery(pairs), c.canonical);
    assert.equal(signQuery(vectorSecret, pairs), c.sig);

    // As received: parse the query string, take `sig` out of it, verify.
    const sent = parseFormPairs(c.query_as_sent);
    const sig = sent.find(([n]) => n === "sig")?.[1] ?? "";
    assert.equal(sig, c.sig);
    assert.equal(canonicalQuery(sent), c.canonical);
    assert.equal(verifyQuerySignature([vectorSecret], sent, sig), true);
    assert.equal(verifyQuerySignature([otherSecret, vectorSecret], sent, sig), true);
    assert.equal(verifyQuerySignature([vectorSecret], sent, sig.toUpperCase()), true);
    assert.equal(verifyQuerySignature([otherSecret], sent, sig), false);
    assert.equal(parseFormPairs("?" + c.query_as_sent).length, sent.length);
  });
}

for (const c of vectors.post.cases) {
  test(`vectors POST: ${c["webhook-id"]}`, () => {
    const [id, ts, body, sig] = [c["webhook-id"], c["webhook-timestamp"], c.body, c["webhook-signature"]];
    const bytes = Buffer.from(body, "utf8");
    assert.equal(signWebhook(vectorSecret, id, ts, body), sig);
    assert.equal(signWebhook(vectorSecret, id, ts, bytes), sig);
    assert.equal(signWebhook(vectorSecret, id, ts, new Uint8Array(bytes)), sig);
    assert.equal(verifyWebhookSignature([vectorSecret], id, ts, bytes, sig), true);
    assert.equal(verifyWebhookSignature([otherSecret, vectorSecret], id, ts, bytes, `v1,bogus ${sig}`), true);
    assert.equal(verifyWebhookSignature([otherSecret], id, ts, bytes, sig), false);
    // The reference library agrees on the vector too.
    assert.equal(new Webhook(vectors.secret).sign(id, new Date(Number(ts) * 1000), body), sig);
  });
}

// --- secrets -----------------------------------------------------------------------------------

test("decodeSecret: accepts padded, unpadded and whitespace-wrapped base64", () => {
  assert.deepEqual(secretOf("whsec_AQID"), Buffer.from([1, 2, 3]));
  assert.deepEqual(secretOf("whsec_AQI="), Buffer.from([1, 2]));
  assert.deepEqual(secretOf("whsec_AQI"), Buffer.from([1, 2]));
  assert.deepEqual(secretOf("AQ=="), Buffer.from([1]));
  assert.deepEqual(secretOf(` ${vectors.secret}\n`), vectorSecret);
});

test("decodeSecret: rejects empty, non-base64 and malformed input as invalid_field/secret", () => {
  for (const bad of [
    "",
    "   ",
    "whsec_",
    "whsec_==",
    "whsec_!!!!",
    "whsec_A",
    "AAAAA",
    "AQ=",
    "AQ===",
    "AQI==",
    "AB==",
    "-_-_",
    "AQ ID",
    "whsec_whsec_AQID",
    "wh sec",
  ]) {
    const r = decodeSecret(bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) {
      assert.equal(r.error.code, "invalid_field");
      assert.equal(r.error.field, "secret");
    }
  }
});

test("encodeSecret/decodeSecret round-trip (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      const s = encodeSecret(bytes);
      assert.ok(s.startsWith("whsec_"));
      assert.deepEqual(new Uint8Array(secretOf(s)), bytes);
    }),
  );
  // A view into a larger buffer encodes only its own bytes.
  const big = new Uint8Array([9, 1, 2, 3, 9]);
  assert.equal(encodeSecret(big.subarray(1, 4)), "whsec_AQID");
});

// --- encoding and canonical query --------------------------------------------------------------

test("rfc3986Encode: unreserved kept, everything else %XX uppercase", () => {
  assert.equal(rfc3986Encode("AZaz09-_.~"), "AZaz09-_.~");
  assert.equal(rfc3986Encode("!'()*"), "%21%27%28%29%2A");
  assert.equal(rfc3986Encode(" +&=/?#@%"), "%20%2B%26%3D%2F%3F%23%40%25");
  assert.equal(rfc3986Encode("é😀\n\0"), "%C3%A9%F0%9F%98%80%0A%00");
  assert.equal(rfc3986Encode("\ud800"), "%EF%BF%BD");
  assert.equal(rfc3986Encode(""), "");
});

test("rfc3986Encode: only unreserved or %XX out, and decodes back (property)", () => {
  fc.assert(
    fc.property(unicode(), (s) => {
      const e = rfc3986Encode(s);
      assert.match(e, /^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$/);
      assert.equal(decodeURIComponent(e), s);
    }),
  );
});

test("rfc3986Encode equals a byte-by-byte reference, lone surrogates included (property)", () => {
  const reference = (s: string): string =>
    [...new TextEncoder().encode(s)]
      .map((b) =>
        /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
      )
      .join("");
  fc.assert(
    fc.property(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom("a", "!", "*", "\ud800", "é", " ") }),
      (a, b) => {
        assert.equal(rfc3986Encode(a), reference(a));
        assert.equal(rfc3986Encode(b), reference(b));
      },
    ),
  );
});

test("parseFormPairs: '+' is space, leading '?' ignored, order and duplicates kept", () => {
  assert.deepEqual(parseFormPairs("?a=1+2&b=%2B&a=x&c"), [
    ["a", "1 2"],
    ["b", "+"],
    ["a", "x"],
    ["c", ""],
  ]);
  assert.deepEqual(parseFormPairs(""), []);
  assert.deepEqual(parseFormPairs("?"), []);
  assert.deepEqual(parseFormPairs("x=%E2%82%AC%zz"), [["x", "€%zz"]]);
});

test("canonicalQuery: sorts by encoded name then value, drops every sig", () => {
  const pairs: Array<[string, string]> = [
    ["b", "2"],
    ["sig", "abc"],
    ["a", "z"],
    ["a", "a"],
    ["a b", "1"],
    ["sig", "def"],
    ["B", "0"],
  ];
  assert.equal(canonicalQuery(pairs), "B=0&a=a&a=z&a%20b=1&b=2");
  assert.equal(canonicalQuery([]), "");
  assert.equal(canonicalQuery([["sig", "x"]]), "");
});

test("canonicalQuery: independent of pair order and of sig pairs (property)", () => {
  fc.assert(
    fc.property(
      pairsArb.chain((pairs) =>
        fc.tuple(
          fc.constant(pairs),
          fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }),
        ),
      ),
      unicode(),
      ([pairs, shuffled], sig) => {
        const canonical = canonicalQuery(pairs);
        assert.equal(canonicalQuery(shuffled), canonical);
        assert.equal(canonicalQuery([...shuffled, ["sig", sig]]), canonical);
      },
    ),
  );
});

test("canonicalQuery: the encoded pairs sorted by name then value, joined (property, up to 60 pairs)", () => {
  // A small alphabet, so equal names, equal values and prefixes are common; more than 32 pairs
  // take the other sort path.
  const short = fc.string({ unit: fc.constantFrom("a", "b", "-", "=", " ", "é"), maxLength: 3 });
  fc.assert(
    fc.property(fc.array(fc.tuple(short, short), { maxLength: 60 }), (pairs) => {
      const encoded = pairs
        .filter(([name]) => name !== "sig")
        .map(([name, value]) => [rfc3986Encode(name), rfc3986Encode(value)] as const);
      const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      encoded.sort((a, b) => byBytes(a[0], b[0]) || byBytes(a[1], b[1]));
      assert.equal(canonicalQuery(pairs), encoded.map(([n, v]) => `${n}=${v}`).join("&"));
    }),
  );
});

test("GET: sign, send as a form-encoded query, parse, verify (property)", () => {
  fc.assert(
    fc.property(secret32, pairsArb, (secret, pairs) => {
      const sig = signQuery(secret, pairs);
      assert.match(sig, /^[0-9a-f]{64}$/);
      const sent = new URLSearchParams([...pairs, ["sig", sig]]).toString(); // '+' for spaces
      const received = parseFormPairs(sent);
      assert.equal(verifyQuerySignature([secret], received, sig), true);
      // A sender using the RFC 3986 canonical form as its query string works as well.
      assert.equal(verifyQuerySignature([secret], parseFormPairs(canonicalQuery(pairs)), sig), true);
    }),
  );
});

// --- Standard Webhooks cross-check -------------------------------------------------------------

// The library checks freshness against its own clock, so these timestamps are near Date.now().
const webhookCase = fc.record({
  secret: fc.uint8Array({ minLength: 24, maxLength: 64 }),
  id: unicode(1),
  skew: fc.integer({ min: -200, max: 200 }),
  body: unicode(),
});

test("standardwebhooks verifies our signatures (property, unicode bodies)", () => {
  fc.assert(
    fc.property(webhookCase, ({ secret, id, skew, body }) => {
      const ts = String(Math.floor(Date.now() / 1000) + skew);
      const sig = signWebhook(secret, id, ts, body);
      const headers = { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig };
      const lib = new Webhook(encodeSecret(secret));
      lib.verify(body, headers, { jsonParse: false }); // throws on mismatch
      lib.verify(Buffer.from(body, "utf8"), headers, { jsonParse: false });
    }),
  );
});

test("we verify standardwebhooks signatures (property, unicode bodies)", () => {
  fc.assert(
    fc.property(webhookCase, ({ secret, id, skew, body }) => {
      const seconds = Math.floor(Date.now() / 1000) + skew;
      const sig = new Webhook(encodeSecret(secret)).sign(id, new Date(seconds * 1000), body);
      const bytes = Buffer.from(body, "utf8");
      assert.equal(verifyWebhookSignature([secret], id, String(seconds), bytes, sig), true);
      assert.equal(signWebhook(secret, id, String(seconds), bytes), sig);
    }),
  );
});

// --- tampering ---------------------------------------------------------------------------------

test("POST: any single byte change in body fails verification (property)", () => {
  fc.assert(
    fc.property(
      secret32,
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (secret, body, at, flip) => {
        const sig = signWebhook(secret, "msg_1", "1795000000", body);
        assert.equal(verifyWebhookSignature([secret], "msg_1", "1795000000", body, sig), true);
        const tampered = Uint8Array.from(body);
        tampered[at % body.length]! ^= flip;
        assert.equal(verifyWebhookSignature([secret], "msg_1", "1795000000", tampered, sig), false);
      },
    ),
  );
});

test("POST: any change in id or timestamp fails verification (property)", () => {
  const idCase = unicode(1).chain((id) => fc.tuple(fc.constant(id), mutated(id)));
  const tsCase = fc
    .integer({ min: 0, max: 99_999_999_999 })
    .map(String)
    .chain((ts) => fc.tuple(fc.constant(ts), mutated(ts)));
  fc.assert(
    fc.property(secret32, idCase, tsCase, unicode(), (secret, [id, id2], [ts, ts2], body) => {
      const bytes = Buffer.from(body, "utf8");
      const sig = signWebhook(secret, id, ts, bytes);
      assert.equal(verifyWebhookSignature([secret], id, ts, bytes, sig), true);
      assert.equal(verifyWebhookSignature([secret], id2, ts, bytes, sig), false);
      assert.equal(verifyWebhookSignature([secret], id, ts2, bytes, sig), false);
    }),
  );
});

test("GET: any change in one parameter name or value fails verification (property)", () => {
  fc.assert(
    fc.property(
      secret32,
      fc.array(pairArb, { minLength: 1, maxLength: 8 }).chain((pairs) =>
        fc.nat({ max: pairs.length - 1 }).chain((i) => {
          const [name, value] = pairs[i]!;
          const changed = fc.oneof(
            name.length > 0
              ? mutated(name).map((n): [string, string] => [n, value])
              : fc.constant<[string, string]>([`${name}x`, value]),
            value.length > 0
              ? mutated(value).map((v): [string, string] => [name, v])
              : fc.constant<[string, string]>([name, "x"]),
          );
          return fc.tuple(
            fc.constant(pairs),
            changed.filter(([n]) => n !== "sig").map((p) => pairs.with(i, p)),
          );
        }),
      ),
      (secret, [pairs, tampered]) => {
        const sig = signQuery(secret, pairs);
        assert.equal(verifyQuerySignature([secret], pairs, sig), true);
        assert.equal(verifyQuerySignature([secret], tampered, sig), false);
      },
    ),
  );
});

// --- rotation ----------------------------------------------------------------------------------

test("rotation: either of two live secrets verifies, a third does not (property)", () => {
  fc.assert(
    fc.property(secret32, secret32, secret32, pairsArb, unicode(), (a, b, c, pairs, body) => {
      const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
      fc.pre(new Set([hex(a), hex(b), hex(c)]).size === 3);
      const bytes = Buffer.from(body, "utf8");
      for (const live of [
        [a, b],
        [b, a],
      ]) {
        for (const signer of [a, b]) {
          assert.equal(verifyQuerySignature(live, pairs, signQuery(signer, pairs)), true);
          assert.equal(
            verifyWebhookSignature(live, "id", "1", bytes, signWebhook(signer, "id", "1", bytes)),
            true,
          );
        }
        assert.equal(verifyQuerySignature(live, pairs, signQuery(c, pairs)), false);
        assert.equal(verifyWebhookSignature(live, "id", "1", bytes, signWebhook(c, "id", "1", bytes)), false);
      }
      assert.equal(verifyQuerySignature([], pairs, signQuery(a, pairs)), false);
      assert.equal(verifyWebhookSignature([], "id", "1", bytes, signWebhook(a, "id", "1", bytes)), false);
    }),
  );
});

test("outbound rotation: a header signed with two secrets verifies under each alone, in standardwebhooks too (property)", () => {
  fc.assert(
    fc.property(webhookCase, secret32, secret32, ({ secret, id, skew, body }, other, third) => {
      const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
      fc.pre(new Set([hex(secret), hex(other), hex(third)]).size === 3);
      const ts = String(Math.floor(Date.now() / 1000) + skew);
      const header = signWebhookAll([secret, other], id, ts, body);
      assert.equal(header, `${signWebhook(secret, id, ts, body)} ${signWebhook(other, id, ts, body)}`);
      assert.equal(signWebhookAll([secret], id, ts, body), signWebhook(secret, id, ts, body));
      const bytes = Buffer.from(body, "utf8");
      const headers = { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": header };
      for (const key of [secret, other]) {
        assert.equal(verifyWebhookSignature([key], id, ts, bytes, header), true);
        new Webhook(encodeSecret(key)).verify(body, headers, { jsonParse: false }); // throws on mismatch
      }
      assert.equal(verifyWebhookSignature([third], id, ts, bytes, header), false);
      assert.throws(() => new Webhook(encodeSecret(third)).verify(body, headers, { jsonParse: false }));
    }),
  );
});

// --- malformed signatures ----------------------------------------------------------------------

test("malformed GET signatures are false, never a throw", () => {
  const pairs = Object.entries(vectors.get.cases[0]!.params);
  const good = signQuery(vectorSecret, pairs);
  const bad = [
    "",
    good.slice(0, -1),
    good + "0",
    good + good,
    "z" + good.slice(1),
    good.slice(0, -2) + "é",
    " " + good.slice(1),
    "v1," + good,
    Buffer.from(good, "hex").toString("base64"),
  ];
  for (const sig of bad) assert.equal(verifyQuerySignature([vectorSecret], pairs, sig), false, sig);
  fc.assert(
    fc.property(unicode(), (sig) => {
      assert.equal(verifyQuerySignature([vectorSecret], pairs, sig), false);
    }),
  );
});

test("malformed webhook signature headers are false, never a throw", () => {
  const c = vectors.post.cases[0]!;
  const [id, ts, body] = [c["webhook-id"], c["webhook-timestamp"], Buffer.from(c.body, "utf8")];
  const good = c["webhook-signature"];
  const b64 = good.slice(3);
  const bad = [
    "",
    " ",
    "v1",
    "v1,",
    b64,
    "v2," + b64,
    "V1," + b64,
    "v1;" + b64,
    "v1, " + b64,
    "v1," + b64.slice(0, -1),
    "v1," + b64 + "=",
    "v1," + b64.replace("=", ""),
    "v1,!!!!garbage-base64!!!!**************************",
    "v1,@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@=",
    "v1," + Buffer.from(b64, "base64").toString("hex"),
    "v1a," + b64,
    "v1,é" + b64.slice(1),
  ];
  for (const header of bad)
    assert.equal(verifyWebhookSignature([vectorSecret], id, ts, body, header), false, header);
  // Non-v1 and garbage entries beside a good one are ignored.
  assert.equal(verifyWebhookSignature([vectorSecret], id, ts, body, `v2,${b64} v1,xxx ${good}  `), true);
  fc.assert(
    fc.property(unicode(), (header) => {
      assert.equal(verifyWebhookSignature([vectorSecret], id, ts, body, header), false);
      assert.equal(verifyWebhookSignature([vectorSecret], id, ts, body, `v1,${header}`), false);
    }),
  );
});

// --- timestamps --------------------------------------------------------------------------------

test("checkTimestamp: ±300 s is ok, ±301 s expired, in both directions", () => {
  const now = 1_795_000_000;
  assert.equal(SIGNATURE_TOLERANCE_SECONDS, 300);
  assert.equal(checkTimestamp(String(now), now), "ok");
  assert.equal(checkTimestamp(String(now - 300), now), "ok");
  assert.equal(checkTimestamp(String(now + 300), now), "ok");
  assert.equal(checkTimestamp(String(now - 301), now), "expired");
  assert.equal(checkTimestamp(String(now + 301), now), "expired");
  assert.equal(checkTimestamp("0", now), "expired");
  assert.equal(checkTimestamp("999999999999", now), "expired");
  // A custom tolerance, a fractional clock (floored), and a broken clock that fails closed.
  assert.equal(checkTimestamp(String(now + 10), now, 10), "ok");
  assert.equal(checkTimestamp(String(now + 11), now, 10), "expired");
  assert.equal(checkTimestamp(String(now + 300), now + 0.999), "ok");
  assert.equal(checkTimestamp(String(now - 300), now + 0.999), "ok");
  assert.equal(checkTimestamp(String(now), Number.NaN), "expired");
  assert.equal(checkTimestamp(String(now), now, Number.NaN), "expired");
});

test("checkTimestamp: non-digits, empty and too long are invalid", () => {
  const now = 1_795_000_000;
  for (const ts of [
    "",
    " ",
    "abc",
    "-1",
    "+1795000000",
    " 1795000000",
    "1795000000 ",
    "1795000000\n",
    "1795000000.0",
    "1.795e9",
    "0x6AFD6A80",
    "１７９５",
    "1795000000000",
    "0001795000000",
  ]) {
    assert.equal(checkTimestamp(ts, now), "invalid", JSON.stringify(ts));
  }
  assert.equal(checkTimestamp("001795000000", now), "ok"); // 12 digits, leading zeros allowed
});
