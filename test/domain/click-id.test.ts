import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  CLICK_ID_MAX_LENGTH,
  type ClickIdParts,
  issueClickId,
  verifyClickId,
} from "../../src/domain/click-id.ts";

const SECRET = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(9);
const RANDOM = Uint8Array.from([1, 2, 3, 4, 5, 6]);
const PARTS: ClickIdParts = { linkId: 42, issuedAtSeconds: 1_750_000_000 };
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const arbParts = fc.record({
  linkId: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  issuedAtSeconds: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});
const arbRandom = fc.uint8Array({ minLength: 6, maxLength: 6 });
const arbSecret = fc.uint8Array({ minLength: 16, maxLength: 64 });

function expectInvalid(clickId: string, secrets: readonly Uint8Array[], messagePart: RegExp): void {
  const result = verifyClickId(secrets, clickId);
  assert.equal(result.ok, false, `expected ${JSON.stringify(clickId)} to be rejected`);
  if (result.ok) return;
  assert.equal(result.error.code, "invalid_field");
  assert.equal(result.error.field, "click_id");
  assert.match(result.error.message, messagePart);
}

/** Re-sign arbitrary bytes the way issueClickId does, to build ids with other versions. */
function signRaw(secret: Uint8Array, payload: Buffer): string {
  const mac = createHmac("sha256", secret).update(payload).digest().subarray(0, 8);
  return Buffer.concat([payload, mac]).toString("base64url");
}

describe("issueClickId / verifyClickId", () => {
  it("round-trips a known id with the documented layout", () => {
    const id = issueClickId(SECRET, PARTS, RANDOM);
    assert.equal(id.length, 31);
    const bytes = Buffer.from(id, "base64url");
    assert.equal(bytes.length, 23);
    assert.equal(bytes[0], 1);
    assert.equal(bytes.readUInt32BE(1), PARTS.issuedAtSeconds);
    assert.equal(bytes.readUInt32BE(5), PARTS.linkId);
    assert.deepEqual([...bytes.subarray(9, 15)], [...RANDOM]);
    assert.deepEqual(verifyClickId([SECRET], id), { ok: true, value: PARTS });
  });

  it("round-trips random parts (property)", () => {
    fc.assert(
      fc.property(arbSecret, arbParts, arbRandom, (secret, parts, random) => {
        assert.deepEqual(verifyClickId([secret], issueClickId(secret, parts, random)), {
          ok: true,
          value: { ...parts },
        });
      }),
    );
  });

  it("is URL-safe and at most 40 characters (property)", () => {
    fc.assert(
      fc.property(arbSecret, arbParts, arbRandom, (secret, parts, random) => {
        const id = issueClickId(secret, parts, random);
        assert.ok(id.length <= CLICK_ID_MAX_LENGTH);
        assert.match(id, /^[A-Za-z0-9_-]+$/);
        assert.equal(encodeURIComponent(id), id);
      }),
    );
    assert.equal(CLICK_ID_MAX_LENGTH, 40);
  });

  it("rejects every single-character change (property)", () => {
    fc.assert(
      fc.property(
        arbParts,
        arbRandom,
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        (parts, random, position, shift) => {
          const id = issueClickId(SECRET, parts, random);
          const i = position % id.length;
          const replacement = ALPHABET[(ALPHABET.indexOf(id[i] ?? "A") + shift) % 64] ?? "A";
          const changed = id.slice(0, i) + replacement + id.slice(i + 1);
          assert.notEqual(changed, id);
          const result = verifyClickId([SECRET], changed);
          assert.equal(result.ok, false, `change at ${i} accepted`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects every single-character change of one id, exhaustively", () => {
    const id = issueClickId(SECRET, PARTS, RANDOM);
    for (let i = 0; i < id.length; i++) {
      for (const c of ALPHABET) {
        if (c === id[i]) continue;
        const result = verifyClickId([SECRET], id.slice(0, i) + c + id.slice(i + 1));
        assert.equal(result.ok, false, `position ${i} -> ${c}`);
      }
    }
  });

  it("rejects truncated, extended, empty, over-long and non-base64url ids", () => {
    const id = issueClickId(SECRET, PARTS, RANDOM);
    expectInvalid("", [SECRET], /empty/);
    expectInvalid(id.slice(0, -1), [SECRET], /wrong length/);
    expectInvalid(id.slice(0, 10), [SECRET], /wrong length/);
    expectInvalid(`${id}A`, [SECRET], /wrong length/);
    expectInvalid(`${id}AAAA`, [SECRET], /wrong length/);
    expectInvalid("A".repeat(41), [SECRET], /too long/);
    expectInvalid(`${id.slice(0, -1)}=`, [SECRET], /base64url/);
    expectInvalid(`${id.slice(0, -2)}==`, [SECRET], /base64url/);
    expectInvalid(id.replace(/.$/, "+"), [SECRET], /base64url/);
    expectInvalid(id.replace(/.$/, "/"), [SECRET], /base64url/);
    expectInvalid(` ${id.slice(1)}`, [SECRET], /base64url/);
    expectInvalid(`${id.slice(0, 15)}é${id.slice(16)}`, [SECRET], /base64url/);
    expectInvalid("not a click id", [SECRET], /base64url/);
    expectInvalid("AQ", [SECRET], /wrong length/);
  });

  it("rejects a non-canonical last character that decodes to the same bytes", () => {
    const id = issueClickId(SECRET, PARTS, RANDOM);
    const last = ALPHABET.indexOf(id.at(-1) ?? "A");
    // The last character's 2 low bits are padding; flipping one leaves the decoded bytes unchanged.
    const twin = id.slice(0, -1) + ALPHABET[last ^ 1];
    assert.deepEqual(Buffer.from(twin, "base64url"), Buffer.from(id, "base64url"));
    expectInvalid(twin, [SECRET], /not canonically encoded/);
  });

  it("rejects garbage of the right length", () => {
    expectInvalid("A".repeat(31), [SECRET], /unknown version/);
    expectInvalid(`AQ${"A".repeat(29)}`, [SECRET], /forged or mistyped/);
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{31}$/), (garbage) => {
        assert.equal(verifyClickId([SECRET], garbage).ok, false);
      }),
    );
  });

  it("rejects an id signed with another secret", () => {
    const id = issueClickId(OTHER, PARTS, RANDOM);
    expectInvalid(id, [SECRET], /forged or mistyped/);
    expectInvalid(id, [], /forged or mistyped/);
  });

  it("accepts ids from either secret during rotation", () => {
    const oldId = issueClickId(OTHER, PARTS, RANDOM);
    const newId = issueClickId(SECRET, { linkId: 7, issuedAtSeconds: 1 }, RANDOM);
    assert.deepEqual(verifyClickId([SECRET, OTHER], oldId), { ok: true, value: PARTS });
    assert.deepEqual(verifyClickId([OTHER, SECRET], newId), {
      ok: true,
      value: { linkId: 7, issuedAtSeconds: 1 },
    });
    expectInvalid(oldId, [SECRET, new Uint8Array(16)], /forged or mistyped/);
  });

  it("rejects an unknown version even when correctly signed", () => {
    const bytes = Buffer.from(issueClickId(SECRET, PARTS, RANDOM), "base64url").subarray(0, 15);
    bytes[0] = 2;
    expectInvalid(signRaw(SECRET, bytes), [SECRET], /unknown version \(2\)/);
    bytes[0] = 0;
    expectInvalid(signRaw(SECRET, bytes), [SECRET], /unknown version \(0\)/);
  });

  it("rejects a correctly signed id naming link 0", () => {
    const bytes = Buffer.from(issueClickId(SECRET, PARTS, RANDOM), "base64url").subarray(0, 15);
    bytes.writeUInt32BE(0, 5);
    expectInvalid(signRaw(SECRET, bytes), [SECRET], /no link/);
  });

  it("different random bytes give different ids", () => {
    const a = issueClickId(SECRET, PARTS, RANDOM);
    const b = issueClickId(SECRET, PARTS, Uint8Array.from([1, 2, 3, 4, 5, 7]));
    assert.notEqual(a, b);
  });

  it("never throws on odd input", () => {
    for (const input of [undefined, null, 42, {}] as unknown as string[]) {
      assert.equal(verifyClickId([SECRET], input).ok, false);
    }
  });

  it("issueClickId refuses programming errors", () => {
    assert.throws(() => issueClickId(new Uint8Array(15), PARTS, RANDOM), RangeError);
    assert.throws(() => issueClickId(SECRET, PARTS, new Uint8Array(5)), RangeError);
    assert.throws(() => issueClickId(SECRET, PARTS, new Uint8Array(7)), RangeError);
    for (const linkId of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      assert.throws(() => issueClickId(SECRET, { linkId, issuedAtSeconds: 1 }, RANDOM), RangeError);
    }
    for (const issuedAtSeconds of [-1, 0.5, 2 ** 32]) {
      assert.throws(() => issueClickId(SECRET, { linkId: 1, issuedAtSeconds }, RANDOM), RangeError);
    }
    assert.doesNotThrow(() =>
      issueClickId(SECRET, { linkId: 2 ** 32 - 1, issuedAtSeconds: 2 ** 32 - 1 }, RANDOM),
    );
  });
});
