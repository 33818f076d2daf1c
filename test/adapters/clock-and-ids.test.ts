/**
 * The id source (adapters/clock-and-ids.ts): prefix + 26 Crockford base32 characters, 48 bits of
 * milliseconds then 80 random bits, so ids sort by creation time and never repeat.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createIds } from "../../src/adapters/clock-and-ids.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The base32 text of `value` (BigInt) in `length` characters, most significant first. */
function base32(value: bigint, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value % 32n)]! + out;
    value /= 32n;
  }
  return out;
}

test("an id is the prefix, the time in 10 characters and 16 random ones", () => {
  const now = 1_795_494_096_666;
  const ids = createIds({ now: () => now });
  const id = ids.next("cv");
  assert.match(id, /^cv_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(id.slice(3, 13), base32(BigInt(now), 10));
});

test("the random part is the pool's next 10 bytes in base32, across pool refills", () => {
  // A deterministic pool: byte n of the stream is (n * 37 + 11) mod 256.
  let position = 0;
  const stream = (size: number) => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = (position++ * 37 + 11) % 256;
    return out;
  };
  const ids = createIds({ now: () => 0 }, stream);
  let consumed = 0;
  // 4096-byte pools hold 409 ids: 1000 ids cross two refills (the tail of each pool is skipped).
  for (let i = 0; i < 1000; i++) {
    if (consumed + 10 > 4096 * Math.ceil((consumed + 1) / 4096)) consumed = 4096 * Math.ceil(consumed / 4096);
    let value = 0n;
    for (let b = 0; b < 10; b++) value = value * 256n + BigInt(((consumed + b) * 37 + 11) % 256);
    consumed += 10;
    assert.equal(ids.next("x").slice(12), base32(value, 16), `id ${i}`);
  }
});

test("ids sort by time, and thousands in one millisecond are all distinct", () => {
  let now = 1_000;
  const ids = createIds({ now: () => now });
  const seen = new Set<string>();
  for (let i = 0; i < 5_000; i++) seen.add(ids.next("r"));
  assert.equal(seen.size, 5_000);
  const earlier = ids.next("r");
  now += 1;
  assert.ok(ids.next("r") > earlier);
});
