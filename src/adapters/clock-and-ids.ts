/** The real clock and id source. Ids are prefix + 26 Crockford base32 chars (48-bit ms time + 80 random bits). */
import { randomBytes } from "node:crypto";
import type { Clock, Ids } from "../app/ports.ts";

export const systemClock: Clock = { now: () => Date.now() };

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL_SIZE = 4096;

const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** 10 time characters, then 16 random ones: two 40-bit halves of 8 characters each. */
const ID_LENGTH = 26;
const RANDOM_BYTES = 10;

/** `draw` is the source of random bytes (crypto's, unless a test needs to know them). */
export function createIds(clock: Clock = systemClock, draw: (size: number) => Buffer = randomBytes): Ids {
  // Random bytes are drawn in blocks: one syscall per few hundred ids on the hot path.
  let pool = draw(POOL_SIZE);
  let offset = 0;
  const reserve = (size: number): void => {
    if (offset + size > pool.length) {
      pool = draw(Math.max(POOL_SIZE, size));
      offset = 0;
    }
  };
  // Every id is built in this one array: the only allocation per id is the string itself.
  const codes: number[] = new Array<number>(ID_LENGTH).fill(0);
  return {
    next(prefix) {
      let time = clock.now();
      for (let i = 9; i >= 0; i--) {
        codes[i] = CODES[time % 32]!;
        time = Math.floor(time / 32);
      }
      reserve(RANDOM_BYTES);
      // Big-endian base32 of the 80 random bits, 40 bits (5 bytes, 8 characters) at a time.
      for (let half = 0; half < 2; half++) {
        let value = 0;
        for (let b = 0; b < 5; b++) value = value * 256 + pool[offset++]!;
        for (let i = 7; i >= 0; i--) {
          codes[10 + half * 8 + i] = CODES[value % 32]!;
          value = Math.floor(value / 32);
        }
      }
      return `${prefix}_${String.fromCharCode.apply(null, codes)}`;
    },
    random(size) {
      reserve(size);
      const out = Buffer.from(pool.subarray(offset, offset + size));
      offset += size;
      return out;
    },
  };
}
