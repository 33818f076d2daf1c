/**
 * Request signing for inbound postbacks (DESIGN.md §2, vectors in test/fixtures/signing-vectors.json).
 *
 * - GET: `ts` and `sig` query parameters; `sig` = lowercase hex HMAC-SHA256 over the canonical query.
 * - POST: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`),
 *   so operators can use off-the-shelf libraries.
 *
 * Pure: no I/O, no clock (callers pass the current time in), never throws on untrusted input.
 */

import { timingSafeEqual } from "node:crypto";
import { fail, ok, type Result } from "./errors.ts";
import { hmacSha256 } from "./hmac.ts";

/** Allowed clock skew between the signer's `ts`/`webhook-timestamp` and our clock (5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = "whsec_";
const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;
// base64 of a 32-byte HMAC-SHA256 digest: 43 characters plus one '=' of padding.
const SHA256_BASE64_LENGTH = 44;

/**
 * Decode a webhook secret: 'whsec_' + base64, or bare base64 without the prefix.
 * Padding is optional; surrounding whitespace (a pasted newline) is ignored.
 * Fails with `invalid_field` (field `secret`) for empty, non-base64 or non-canonical input.
 */
export function decodeSecret(secret: string): Result<Buffer> {
  let b64 = secret.trim();
  if (b64.startsWith(SECRET_PREFIX)) b64 = b64.slice(SECRET_PREFIX.length);
  const unpadded = b64.replace(/={1,2}$/, "");
  // Buffer.from(…, "base64") silently skips junk, so validate the alphabet and shape first.
  if (unpadded.length === 0 || !BASE64_CHARS.test(unpadded) || unpadded.length % 4 === 1) {
    return fail("invalid_field", "The secret must be 'whsec_' followed by base64.", "secret");
  }
  if (b64.length !== unpadded.length && b64.length % 4 !== 0) {
    return fail("invalid_field", "The secret's base64 padding is wrong.", "secret");
  }
  const bytes = Buffer.from(unpadded, "base64");
  // Round-trip check rejects non-zero trailing bits, so one secret has exactly one spelling.
  if (bytes.toString("base64").replace(/=+$/, "") !== unpadded) {
    return fail("invalid_field", "The secret is not canonical base64.", "secret");
  }
  return ok(bytes);
}

/**
 * Encode a new secret as 'whsec_' + base64. The caller supplies the random bytes
 * (at least 24 from a CSPRNG); keeping randomness out of here keeps the domain pure.
 */
export function encodeSecret(bytes: Uint8Array): string {
  return SECRET_PREFIX + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Parse an application/x-www-form-urlencoded string ('+' is a space) into ordered
 * [name, value] pairs, duplicates kept. A leading '?' is ignored.
 */
export function parseFormPairs(raw: string): Array<[string, string]> {
  // URLSearchParams strips one leading '?' itself and maps malformed UTF-8 to U+FFFD.
  return [...new URLSearchParams(raw)];
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
/** What encodeURIComponent leaves as is and RFC 3986 does not. */
const SUB_DELIMS = /[!'()*]/g;

/**
 * RFC 3986 percent-encoding: unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte of the
 * UTF-8 form as %XX (uppercase). Never throws (a lone surrogate encodes as U+FFFD, like TextEncoder).
 */
export function rfc3986Encode(s: string): string {
  // Most names and values (event names, ids, amounts, click ids) need no escaping at all.
  if (UNRESERVED.test(s)) return s;
  // encodeURIComponent escapes all but !'()* of what RFC 3986 reserves, in uppercase %XX; it
  // throws on a lone surrogate, which the byte loop below encodes as U+FFFD instead.
  try {
    return encodeURIComponent(s).replace(SUB_DELIMS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return encodeBytes(s);
  }
}

function encodeBytes(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const unreserved =
      (b >= 0x41 && b <= 0x5a) || // A-Z
      (b >= 0x61 && b <= 0x7a) || // a-z
      (b >= 0x30 && b <= 0x39) || // 0-9
      b === 0x2d || // -
      b === 0x5f || // _
      b === 0x2e || // .
      b === 0x7e; // ~
    out += unreserved ? String.fromCharCode(b) : "%" + (b < 0x10 ? "0" : "") + b.toString(16).toUpperCase();
  }
  return out;
}

/**
 * Canonical query for GET signing: every pair except those named 'sig', each name and value
 * RFC 3986 encoded, sorted by encoded name then encoded value (byte order), joined as
 * name=value with '&'.
 */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  const names: string[] = [];
  const values: string[] = [];
  for (const [name, value] of pairs) {
    if (name === "sig") continue;
    names.push(rfc3986Encode(name));
    values.push(rfc3986Encode(value));
  }
  const order = sortedOrder(names, values);
  let out = "";
  for (let i = 0; i < order.length; i++) {
    const at = order[i]!;
    out += i === 0 ? `${names[at]}=${values[at]}` : `&${names[at]}=${values[at]}`;
  }
  return out;
}

/** Encoded strings are pure ASCII, so code-unit comparison is byte order (never localeCompare). */
function comparePairs(names: readonly string[], values: readonly string[], a: number, b: number): number {
  const an = names[a]!;
  const bn = names[b]!;
  if (an !== bn) return an < bn ? -1 : 1;
  const av = values[a]!;
  const bv = values[b]!;
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/** Up to this many pairs are sorted by insertion (a postback has about ten): no temporary arrays. */
const INSERTION_SORT_MAX = 32;

/** The indexes of the pairs sorted by name, then value. */
function sortedOrder(names: readonly string[], values: readonly string[]): number[] {
  const order = Array.from({ length: names.length }, (_, i) => i);
  if (order.length > INSERTION_SORT_MAX) {
    return order.sort((a, b) => comparePairs(names, values, a, b));
  }
  for (let i = 1; i < order.length; i++) {
    const current = order[i]!;
    let j = i - 1;
    while (j >= 0 && comparePairs(names, values, order[j]!, current) > 0) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = current;
  }
  return order;
}

/** Lowercase hex HMAC-SHA256(secret, canonicalQuery(pairs)): the GET `sig` parameter. */
export function signQuery(secret: Uint8Array, pairs: ReadonlyArray<readonly [string, string]>): string {
  return hmacSha256(secret).update(canonicalQuery(pairs)).digest("hex");
}

function webhookDigest(secret: Uint8Array, id: string, timestamp: string, body: Uint8Array | string): Buffer {
  // Two updates rather than concatenation: the body bytes are signed exactly as given.
  return hmacSha256(secret).update(`${id}.${timestamp}.`, "utf8").update(body).digest();
}

/**
 * Standard Webhooks signature: 'v1,' + base64(HMAC-SHA256(secret, `${id}.${timestamp}.` + body)).
 * A string body is signed as UTF-8.
 */
export function signWebhook(
  secret: Uint8Array,
  id: string,
  timestamp: string,
  body: Uint8Array | string,
): string {
  return "v1," + webhookDigest(secret, id, timestamp, body).toString("base64");
}

/**
 * The `webhook-signature` header under several secrets (during a rotation): one 'v1,…' entry per
 * secret, in the order given, separated by spaces; a verifier accepts if any entry matches.
 */
export function signWebhookAll(
  secrets: readonly Uint8Array[],
  id: string,
  timestamp: string,
  body: Uint8Array | string,
): string {
  return secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(" ");
}

/**
 * True if `sigHex` is the GET signature under any of the secrets (two are live during rotation).
 * Hex case is not significant. Constant-time comparison; every secret is checked (no early
 * exit) so timing does not reveal which one matched. Malformed input is false, never a throw.
 */
export function verifyQuerySignature(
  secrets: readonly Uint8Array[],
  pairs: ReadonlyArray<readonly [string, string]>,
  sigHex: string,
): boolean {
  // Shape is public information, so rejecting it early leaks nothing about the secrets.
  if (typeof sigHex !== "string" || !SHA256_HEX.test(sigHex)) return false;
  const given = Buffer.from(sigHex, "hex");
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signQuery(secret, pairs), "hex");
    const equal = timingSafeEqual(expected, given);
    matched = matched || equal;
  }
  return matched;
}

/**
 * Standard Webhooks verification. `header` may hold several space-separated signatures
 * ('v1,xxx v1,yyy'); entries of other versions are ignored. True if any v1 signature matches
 * any secret. `body` must be the exact bytes received. Constant time per comparison, every
 * pair compared; never throws. The timestamp's freshness is checked separately (checkTimestamp).
 */
export function verifyWebhookSignature(
  secrets: readonly Uint8Array[],
  id: string,
  timestamp: string,
  body: Uint8Array,
  header: string,
): boolean {
  if (typeof header !== "string") return false;
  const given: Buffer[] = [];
  for (const entry of header.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const sig = Buffer.from(entry.slice(comma + 1), "utf8");
    // timingSafeEqual throws on unequal lengths; a wrong-length signature cannot match anyway.
    if (sig.length === SHA256_BASE64_LENGTH) given.push(sig);
  }
  if (given.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    // Compare base64 text, as the reference library does: canonical encoding, exact match.
    const expected = Buffer.from(webhookDigest(secret, id, timestamp, body).toString("base64"), "utf8");
    for (const sig of given) {
      const equal = timingSafeEqual(expected, sig);
      matched = matched || equal;
    }
  }
  return matched;
}

/**
 * Check a signature timestamp: `ts` must be 1-12 ASCII digits (unix seconds), else 'invalid';
 * 'expired' if it is more than `toleranceSeconds` away from `nowSeconds` in either direction
 * (exactly at the tolerance is still 'ok'). A fractional `nowSeconds` is floored; a non-finite
 * `nowSeconds` or tolerance fails closed ('expired').
 */
export function checkTimestamp(
  ts: string,
  nowSeconds: number,
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): "ok" | "invalid" | "expired" {
  if (typeof ts !== "string" || !UNIX_SECONDS.test(ts)) return "invalid";
  const skew = Math.abs(Number(ts) - Math.floor(nowSeconds));
  // Any NaN makes the comparison false, so bad inputs land on 'expired', never 'ok'.
  return skew <= toleranceSeconds ? "ok" : "expired";
}
