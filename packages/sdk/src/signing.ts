/**
 * Request signing of the postback contract v1 (docs/integration.md §8), on WebCrypto only, so it
 * runs on Node ≥ 18, Deno, Bun, Cloudflare Workers and browsers alike.
 *
 * - GET: `ts` and `sig` parameters; `sig` = lowercase hex HMAC-SHA256 over the canonical query.
 * - POST: Standard Webhooks headers; `webhook-signature` = `v1,` + base64 HMAC-SHA256 over
 *   `<webhook-id>.<webhook-timestamp>.<body>`.
 *
 * The HMAC key is the base64-DECODED bytes after `whsec_`, never the secret string itself.
 */

/** One query parameter, in the order sent. */
export type Pair = readonly [name: string, value: string];

/** The subset of WebCrypto's SubtleCrypto the signer uses. */
export interface SubtleLike {
  importKey(
    format: "raw",
    keyData: Uint8Array,
    algorithm: { name: "HMAC"; hash: "SHA-256" },
    extractable: boolean,
    keyUsages: ["sign"],
  ): Promise<object>;
  sign(algorithm: "HMAC", key: object, data: Uint8Array): Promise<ArrayBuffer>;
}

const SECRET_PREFIX = "whsec_";
const encoder = new TextEncoder();

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional). Throws a TypeError if malformed. */
export function decodeSecret(secret: string): Uint8Array {
  let b64 = secret.trim();
  if (b64.startsWith(SECRET_PREFIX)) b64 = b64.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new TypeError("The secret must be 'whsec_' followed by base64.");
  }
  const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * RFC 3986 percent-encoding: A-Z a-z 0-9 - _ . ~ kept, every other UTF-8 byte as %XX (uppercase).
 * encodeURIComponent leaves !'()* alone, so those are encoded here too. Throws a URIError on a
 * lone surrogate (which the service refuses anyway).
 */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The canonical query that GET signatures cover: every pair but `sig`, names and values RFC 3986
 * encoded, sorted by encoded name then encoded value (code-unit order of ASCII = byte order).
 */
export function canonicalQuery(pairs: readonly Pair[]): string {
  return pairs
    .filter(([name]) => name !== "sig")
    .map(([name, value]): Pair => [rfc3986(name), rfc3986(value)])
    .sort(([an, av], [bn, bv]) => (an !== bn ? (an < bn ? -1 : 1) : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** WebCrypto's SubtleCrypto: the global one, or node:crypto's on Node 18 (global only from Node 19). */
export async function defaultSubtle(): Promise<SubtleLike> {
  const global = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto;
  if (global?.subtle) return global.subtle;
  // A variable specifier keeps bundlers for other runtimes from resolving a Node built-in.
  const nodeCrypto = "node:crypto";
  const { webcrypto } = (await import(nodeCrypto)) as { webcrypto: { subtle: SubtleLike } };
  return webcrypto.subtle;
}

/** Signs with one secret; the imported key is reused for every signature. */
export interface Signer {
  /** Lowercase hex HMAC-SHA256 over `canonicalQuery(pairs)`: the GET `sig` parameter. */
  signQuery(pairs: readonly Pair[]): Promise<string>;
  /** The Standard Webhooks `webhook-signature` value, `v1,<base64>`, over `id.timestamp.body`. */
  signWebhook(id: string, timestamp: string, body: string): Promise<string>;
}

/** A signer for a `whsec_…` secret. Throws (synchronously) a TypeError for a malformed secret. */
export function createSigner(secret: string, subtle?: SubtleLike): Signer {
  const keyBytes = decodeSecret(secret);
  let key: Promise<{ subtle: SubtleLike; key: object }> | undefined;
  const mac = async (text: string): Promise<Uint8Array> => {
    key ??= (async () => {
      const s = subtle ?? (await defaultSubtle());
      return {
        subtle: s,
        key: await s.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      };
    })();
    const k = await key;
    return new Uint8Array(await k.subtle.sign("HMAC", k.key, encoder.encode(text)));
  };
  return {
    async signQuery(pairs) {
      const digest = await mac(canonicalQuery(pairs));
      return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    },
    async signWebhook(id, timestamp, body) {
      const digest = await mac(`${id}.${timestamp}.${body}`);
      return `v1,${btoa(String.fromCharCode(...digest))}`;
    },
  };
}
