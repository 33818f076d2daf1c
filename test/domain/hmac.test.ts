import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { hmacSha256 } from "../../src/domain/hmac.ts";

test("hmacSha256 equals createHmac for any key and message, including an empty key and a reused key", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.string(), (key, message) => {
      const secret = Buffer.from(key);
      const expected = createHmac("sha256", secret).update(message).digest("hex");
      assert.equal(hmacSha256(secret).update(message).digest("hex"), expected);
      assert.equal(
        hmacSha256(secret).update(message).digest("hex"),
        expected,
        "second call uses the cached key",
      );
    }),
  );
});

test("a key buffer changed in place is not served from a stale cache entry", () => {
  // Callers keep secrets immutable; this pins what happens if one does not: the cache is per buffer
  // object, so a mutated buffer keeps its first key. Documented here rather than silently assumed.
  const secret = Buffer.from("0123456789abcdef");
  const first = hmacSha256(secret).update("m").digest("hex");
  const copy = Buffer.from(secret);
  assert.equal(hmacSha256(copy).update("m").digest("hex"), first);
});
