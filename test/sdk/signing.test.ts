/**
 * The SDK's WebCrypto signer (packages/sdk/src/signing.ts) against the independent vectors, and,
 * for arbitrary parameters and bodies, against the service's own verifier (src/domain/signing.ts).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { canonicalQuery, createSigner, decodeSecret, type Pair } from "../../packages/sdk/src/index.ts";
import {
  encodeSecret,
  decodeSecret as serverDecodeSecret,
  verifyQuerySignature,
  verifyWebhookSignature,
} from "../../src/domain/signing.ts";
import { signingVectors } from "../helpers/signing-vectors.ts";

const { secret, secret_bytes_hex, get, post } = signingVectors;

describe("SDK signing: independent vectors", () => {
  test("the key is the base64-decoded bytes after whsec_, not the secret string", () => {
    assert.equal(Buffer.from(decodeSecret(secret)).toString("hex"), secret_bytes_hex);
    assert.throws(() => decodeSecret("whsec_not base64!"), TypeError);
  });

  for (const c of get.cases) {
    test(`GET ${c.name}: canonical query and sig`, async () => {
      const pairs = Object.entries(c.params);
      assert.equal(canonicalQuery(pairs), c.canonical);
      assert.equal(await createSigner(secret).signQuery([...pairs, ["sig", "ignored"]]), c.sig);
    });
  }

  for (const c of post.cases) {
    test(`POST ${c["webhook-id"]}: webhook-signature`, async () => {
      const sig = await createSigner(secret).signWebhook(c["webhook-id"], c["webhook-timestamp"], c.body);
      assert.equal(sig, c["webhook-signature"]);
    });
  }
});

describe("SDK signing: verified by the service's verifier (property)", () => {
  const secretArb = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes) => encodeSecret(bytes));
  const keyOf = (s: string) => {
    const decoded = serverDecodeSecret(s);
    assert.ok(decoded.ok);
    return decoded.value;
  };
  // Any well-formed text: the service refuses lone surrogates before verifying, so no need here.
  const text = fc.string({ unit: "grapheme", maxLength: 20 });

  test("GET: sig over any parameters verifies", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.array(fc.tuple(text, text), { maxLength: 12 }), async (s, params) => {
        const pairs: Pair[] = [...params, ["ts", "1795000000"]];
        const sig = await createSigner(s).signQuery(pairs);
        assert.ok(verifyQuerySignature([keyOf(s)], pairs, sig));
      }),
      { numRuns: 200 },
    );
  });

  test("POST: webhook-signature over any id, timestamp and body verifies", async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.string({ minLength: 1, maxLength: 255 }),
        fc.integer({ min: 0, max: 99_999_999_999 }),
        text,
        async (s, id, ts, body) => {
          const sig = await createSigner(s).signWebhook(id, String(ts), body);
          assert.ok(verifyWebhookSignature([keyOf(s)], id, String(ts), Buffer.from(body, "utf8"), sig));
        },
      ),
      { numRuns: 200 },
    );
  });
});
