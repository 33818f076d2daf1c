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

test("equal keys in different buffers give the same MAC", () => {
  const secret = Buffer.from("0123456789abcdef");
  const first = hmacSha256(secret).update("m").digest("hex");
  assert.equal(hmacSha256(Buffer.from(secret)).update("m").digest("hex"), first);
});
