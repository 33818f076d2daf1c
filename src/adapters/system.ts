/** The real clock and id source. Ids are prefix + 26 Crockford base32 chars (48-bit ms time + 80 random bits). */
import { randomBytes } from "node:crypto";
import type { Clock, Ids } from "../app/ports.ts";

export const systemClock: Clock = { now: () => Date.now() };

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL_SIZE = 4096;

export function createIds(clock: Clock = systemClock): Ids {
  // Random bytes are drawn in blocks: one syscall per few hundred ids on the hot path.
  let pool = randomBytes(POOL_SIZE);
  let offset = 0;
  const take = (size: number): Buffer => {
    if (offset + size > pool.length) {
      pool = randomBytes(Math.max(POOL_SIZE, size));
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + size));
    offset += size;
    return out;
  };
  return {
    next(prefix) {
      let time = clock.now();
      let text = "";
      for (let i = 0; i < 10; i++) {
        text = ALPHABET[time % 32]! + text;
        time = Math.floor(time / 32);
      }
      const random = take(10);
      let bits = 0;
      let value = 0;
      for (const byte of random) {
        value = (value << 8) | byte;
        bits += 8;
        while (bits >= 5) {
          bits -= 5;
          text += ALPHABET[(value >> bits) & 31];
        }
        value &= (1 << bits) - 1;
      }
      return `${prefix}_${text}`;
    },
    random: (size) => take(size),
  };
}
