/**
 * Self-verifying click ids (DESIGN §1).
 *
 * A click id encodes the link and the click time, plus random bytes so it is unguessable, and a
 * MAC over all of it, so a forged or mistyped id is recognised without a database look-up and a
 * conversion can still be attributed to its link when the click row is missing.
 *
 * Binary layout, version 1 (23 bytes, 31 base64url characters without padding):
 *
 * | offset | size | field                                                        |
 * |-------:|-----:|--------------------------------------------------------------|
 * |      0 |    1 | version (`1`)                                                |
 * |      1 |    4 | issued-at, unix seconds, uint32 big-endian                   |
 * |      5 |    4 | link number, uint32 big-endian (positive)                    |
 * |      9 |    6 | random                                                       |
 * |     15 |    8 | MAC: first 8 bytes of HMAC-SHA256(secret, bytes 0..14)       |
 */

import { timingSafeEqual } from "node:crypto";
import type { Result } from "./errors.ts";
import { fail, ok } from "./errors.ts";
import { hmacSha256 } from "./hmac.ts";

/** What a click id carries. */
export interface ClickIdParts {
  /** The link's id: a positive integer below 2^32. */
  readonly linkId: number;
  /** When the click was recorded, unix seconds (0 ≤ n < 2^32). */
  readonly issuedAtSeconds: number;
}

/** Upper bound on the length of a click id, any version (DESIGN §1). */
export const CLICK_ID_MAX_LENGTH = 40;

/** Current format version. */
const VERSION = 1;
const RANDOM_BYTES = 6;
const MAC_BYTES = 8;
const MIN_SECRET_BYTES = 16;
const PAYLOAD_BYTES = 1 + 4 + 4 + RANDOM_BYTES;
const TOTAL_BYTES = PAYLOAD_BYTES + MAC_BYTES;
/** ceil(23 * 8 / 6) characters, no padding. */
const ENCODED_LENGTH = Math.ceil((TOTAL_BYTES * 8) / 6);
const UINT32_LIMIT = 2 ** 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FIELD = "click_id";

function mac(secret: Uint8Array, payload: Uint8Array): Buffer {
  return hmacSha256(secret).update(payload).digest().subarray(0, MAC_BYTES);
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < UINT32_LIMIT;
}

/**
 * Issue a click id for `parts`. `random` must be 6 bytes (the caller gets them from
 * `crypto.randomBytes`, keeping this function pure); `secret` must be at least 16 bytes.
 * Throws a `RangeError` on a programming error (bad secret, random or parts), never on data.
 */
export function issueClickId(secret: Uint8Array, parts: ClickIdParts, random: Uint8Array): string {
  if (secret.length < MIN_SECRET_BYTES)
    throw new RangeError(`click id secret must be at least ${MIN_SECRET_BYTES} bytes`);
  if (random.length !== RANDOM_BYTES)
    throw new RangeError(`click id random must be exactly ${RANDOM_BYTES} bytes`);
  if (!isUint32(parts.linkId) || parts.linkId === 0) {
    throw new RangeError(`click id linkId must be a positive integer below 2^32, got ${parts.linkId}`);
  }
  if (!isUint32(parts.issuedAtSeconds)) {
    throw new RangeError(
      `click id issuedAtSeconds must be an integer in [0, 2^32), got ${parts.issuedAtSeconds}`,
    );
  }
  const bytes = Buffer.alloc(TOTAL_BYTES);
  bytes.writeUInt8(VERSION, 0);
  bytes.writeUInt32BE(parts.issuedAtSeconds, 1);
  bytes.writeUInt32BE(parts.linkId, 5);
  bytes.set(random, 9);
  mac(secret, bytes.subarray(0, PAYLOAD_BYTES)).copy(bytes, PAYLOAD_BYTES);
  return bytes.toString("base64url");
}

/**
 * Verify and decode a click id. Never throws. Returns `ok(parts)`, or
 * `fail("invalid_field", reason, "click_id")` saying why: wrong length or characters, unknown
 * version, or MAC mismatch (forged or mistyped). Several secrets may be given during rotation:
 * the id is valid if any of them produced it. The MAC comparison is constant-time.
 */
export function verifyClickId(secrets: readonly Uint8Array[], clickId: string): Result<ClickIdParts> {
  if (typeof clickId !== "string" || clickId.length === 0)
    return fail("invalid_field", "click_id is empty.", FIELD);
  if (clickId.length > CLICK_ID_MAX_LENGTH) {
    return fail("invalid_field", `click_id is too long (at most ${CLICK_ID_MAX_LENGTH} characters).`, FIELD);
  }
  // Buffer's base64url decoder silently skips foreign characters, so check the alphabet first.
  if (!BASE64URL.test(clickId)) {
    return fail("invalid_field", "click_id contains characters outside the base64url alphabet.", FIELD);
  }
  const bytes = Buffer.from(clickId, "base64url");
  if (bytes.length > 0 && bytes[0] !== VERSION) {
    return fail("invalid_field", `click_id has an unknown version (${bytes[0]}).`, FIELD);
  }
  if (clickId.length !== ENCODED_LENGTH) {
    return fail(
      "invalid_field",
      `click_id has the wrong length (expected ${ENCODED_LENGTH} characters).`,
      FIELD,
    );
  }
  // The last character carries 2 unused bits: demand the canonical encoding so that no two
  // strings decode to the same id (every single-character change is then rejected).
  if (bytes.toString("base64url") !== clickId) {
    return fail("invalid_field", "click_id is not canonically encoded (mistyped).", FIELD);
  }
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  const given = bytes.subarray(PAYLOAD_BYTES, TOTAL_BYTES);
  // Check every secret without early exit so timing does not reveal which one matched.
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(mac(secret, payload), given)) matched = true;
  }
  if (!matched) return fail("invalid_field", "click_id does not verify (forged or mistyped).", FIELD);
  const linkId = bytes.readUInt32BE(5);
  // Unreachable with ids from issueClickId, but a valid MAC must not smuggle in link 0.
  if (linkId === 0) return fail("invalid_field", "click_id names no link.", FIELD);
  return ok({ linkId, issuedAtSeconds: bytes.readUInt32BE(1) });
}
