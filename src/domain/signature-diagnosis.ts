/**
 * Why a signature did not match (DESIGN §2, issue: signature diagnostics): what the server
 * verified, and the common signing mistake the request shows, when one is recognised. Run only
 * after a signature has failed, so its extra HMACs cost nothing on accepted postbacks.
 *
 * A mistake is recognised by recomputing the signature as the mistaken code would have (the whole
 * `whsec_…` string as the key, form encoding, the body alone…) and comparing it with the one sent.
 * Nothing here reveals a secret or the expected signature: a match proves the sender holds the
 * secret already, and a non-match says only that this mistake is not the cause.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { hmacSha256 } from "./hmac.ts";
import { canonicalQuery, encodeSecret, rfc3986Encode } from "./signing.ts";

export const SIGNING_MISTAKES = [
  "secret_with_prefix",
  "secret_as_text",
  "form_encoding",
  "unsorted_query",
  "body_changed",
  "body_only_signed",
  "hex_signature",
  "base64_signature",
] as const;
export type SigningMistake = (typeof SIGNING_MISTAKES)[number];

const HINTS: Record<SigningMistake, string> = {
  secret_with_prefix:
    "It matches an HMAC keyed with the whole 'whsec_…' string: the key is the bytes of the base64 after 'whsec_', decoded.",
  secret_as_text:
    "It matches an HMAC keyed with the base64 text itself: decode the base64 after 'whsec_' and use those bytes as the key.",
  form_encoding:
    "It matches the query encoded as a form ('+' for spaces, '*' unescaped): encode names and values per RFC 3986 ('%20' for a space).",
  unsorted_query:
    "It matches the parameters in the order sent: sort the encoded pairs by name, then value, before signing.",
  body_changed:
    "It matches the body serialised differently: the body was changed after signing; send exactly the bytes you signed.",
  body_only_signed: "It matches an HMAC over the body alone: sign '<webhook-id>.<webhook-timestamp>.<body>'.",
  hex_signature: "It is the right HMAC in hex: webhook-signature carries 'v1,' and the HMAC in base64.",
  base64_signature: "It is the right HMAC in base64: the GET sig is the HMAC in hex.",
};

export interface SignatureDiagnosis {
  /** What the server verified: GET, the canonical query; POST, the id, timestamp and body digest. */
  readonly verified: Readonly<Record<string, string | number>>;
  /** The recognised mistake, if any. */
  readonly mistake?: SigningMistake;
  /** The sentence to show: the mistake's fix, or what to compare when none is recognised. */
  readonly hint: string;
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The mistaken keys: the whole 'whsec_…' string, and the base64 text, as UTF-8 bytes. */
function textKeys(secret: Uint8Array): Array<[SigningMistake, Buffer]> {
  const whole = encodeSecret(secret);
  return [
    ["secret_with_prefix", Buffer.from(whole, "utf8")],
    ["secret_as_text", Buffer.from(whole.slice("whsec_".length), "utf8")],
  ];
}

/**
 * Form encodings ('+' for a space) as common libraries write them: Python's quote_plus and Go's
 * QueryEscape (RFC 3986 otherwise), PHP's urlencode ('~' escaped too), the WHATWG form
 * serialiser of URLSearchParams ('*' kept, '~' escaped), and JavaScript's encodeURIComponent with
 * '+' put in ('!*'()' kept).
 */
const FORM_ENCODINGS: ReadonlyArray<(s: string) => string> = [
  (s) => {
    try {
      return encodeURIComponent(s).replace(/%20/g, "+");
    } catch {
      return s; // a lone surrogate: no such client sent it
    }
  },
  (s) => rfc3986Encode(s).replace(/%20/g, "+"),
  (s) => rfc3986Encode(s).replace(/%20/g, "+").replace(/~/g, "%7E"),
  (s) => new URLSearchParams([["", s]]).toString().slice(1),
];

/** name=value pairs encoded with `encode`, sorted by encoded name then value, joined with '&'. */
function joinSorted(pairs: Pairs, encode: (s: string) => string): string {
  const encoded = pairs.map(([n, v]) => [encode(n), encode(v)] as const);
  encoded.sort(([a, x], [b, y]) => (a !== b ? (a < b ? -1 : 1) : x < y ? -1 : x > y ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join("&");
}

type Pairs = ReadonlyArray<readonly [string, string]>;

/** Parameters whose values the diagnosis never echoes (a static token in the query). */
const HIDDEN = new Set(["token"]);

/** The canonical query the server signed over, with hidden parameters' values replaced. */
function shownCanonical(pairs: Pairs): string {
  return canonicalQuery(pairs.map(([name, value]) => [name, HIDDEN.has(name) ? "[hidden]" : value] as const));
}

/** A GET whose `sig` matched no live secret. */
export function diagnoseQuerySignature(
  secrets: readonly Uint8Array[],
  pairs: Pairs,
  sig: string,
): SignatureDiagnosis {
  const verified = { canonical_query: shownCanonical(pairs) };
  const signed = pairs.filter(([name]) => name !== "sig");
  const canonical = canonicalQuery(signed);
  const variants: Array<[SigningMistake, string]> = [
    ...FORM_ENCODINGS.map(
      (encode) => ["form_encoding", joinSorted(signed, encode)] as [SigningMistake, string],
    ),
    ["unsorted_query", signed.map(([n, v]) => `${rfc3986Encode(n)}=${rfc3986Encode(v)}`).join("&")],
  ];
  const given = sig.toLowerCase();
  for (const secret of secrets) {
    for (const [mistake, key] of textKeys(secret))
      if (sameText(hmacSha256(key).update(canonical).digest("hex"), given)) return found(verified, mistake);
    for (const [mistake, text] of variants)
      if (text !== canonical && sameText(hmacSha256(secret).update(text).digest("hex"), given))
        return found(verified, mistake);
    if (sameText(hmacSha256(secret).update(canonical).digest("base64"), sig))
      return found(verified, "base64_signature");
  }
  return {
    verified,
    hint: "Compare canonical_query with the string your code signed: they must be identical, byte for byte, and the key the decoded secret.",
  };
}

/** A POST whose `webhook-signature` matched no live secret. */
export function diagnoseWebhookSignature(
  secrets: readonly Uint8Array[],
  id: string,
  timestamp: string,
  body: Uint8Array,
  header: string,
): SignatureDiagnosis {
  const verified = {
    webhook_id: id,
    webhook_timestamp: timestamp,
    body_length: body.byteLength,
    body_sha256: createHash("sha256").update(body).digest("hex"),
  };
  const sent = header.split(" ").map((entry) => (entry.startsWith("v1,") ? entry.slice(3) : entry));
  const matches = (digest: Buffer, encoding: "base64" | "hex" = "base64") => {
    const text = digest.toString(encoding);
    return sent.some((s) => sameText(text, encoding === "hex" ? s.toLowerCase() : s));
  };
  const prefix = `${id}.${timestamp}.`;
  const over = (key: Uint8Array, signedBody: Uint8Array | string) =>
    hmacSha256(key).update(prefix, "utf8").update(signedBody).digest();
  const reserialised = jsonVariants(body);
  for (const secret of secrets) {
    for (const [mistake, key] of textKeys(secret))
      if (matches(over(key, body))) return found(verified, mistake);
    if (matches(hmacSha256(secret).update(body).digest())) return found(verified, "body_only_signed");
    if (matches(over(secret, body), "hex")) return found(verified, "hex_signature");
    for (const text of reserialised) if (matches(over(secret, text))) return found(verified, "body_changed");
  }
  return {
    verified,
    hint: "Compare body_length and body_sha256 with the bytes your code signed (they must be the bytes sent), and sign '<webhook-id>.<webhook-timestamp>.<body>' with the decoded secret.",
  };
}

/** Other serialisations of a JSON body that client libraries commonly send or sign. */
function jsonVariants(body: Uint8Array): string[] {
  const text = Buffer.from(body).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  // Compact, Python's json.dumps default separators (", ", ": "), and two-space indentation.
  return [JSON.stringify(value), spacedJson(value), JSON.stringify(value, null, 2)].filter((v) => v !== text);
}

function spacedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(spacedJson).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${spacedJson(v)}`)
      .join(", ")}}`;
  return JSON.stringify(value);
}

function found(verified: SignatureDiagnosis["verified"], mistake: SigningMistake): SignatureDiagnosis {
  return { verified, mistake, hint: HINTS[mistake] };
}
