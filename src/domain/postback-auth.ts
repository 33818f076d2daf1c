/**
 * Authentication of an inbound postback (DESIGN §2): IP allowlist, HMAC signature (Standard Webhooks
 * headers for POST, `ts`/`sig` for GET) and static token. Every configured check must pass; all
 * secret comparisons are constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { fail, ok, type Result } from "./errors.ts";
import { type CidrList, parseCidrList } from "./ip.ts";
import type { OperatorAuth } from "./model.ts";
import {
  diagnoseQuerySignature,
  diagnoseWebhookSignature,
  type SignatureDiagnosis,
} from "./signature-diagnosis.ts";
import {
  checkTimestamp,
  decodeSecret,
  SIGNATURE_TOLERANCE_SECONDS,
  verifyQuerySignature,
  verifyWebhookSignature,
} from "./signing.ts";

/** An operator's auth settings decoded once (secrets to bytes, CIDRs parsed). */
export interface PreparedAuth {
  readonly secrets: readonly Buffer[];
  readonly allowlist: CidrList | undefined;
  readonly trustedProxies: CidrList | undefined;
  readonly tokenHash: Buffer | undefined;
}

export interface AuthInput {
  readonly method: "GET" | "POST";
  readonly clientIp: string;
  /** GET: the query pairs as received (they carry `ts` and `sig`). */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  /** POST: the exact body bytes and Standard Webhooks headers. */
  readonly body: Uint8Array;
  readonly webhookId: string | undefined;
  readonly webhookTimestamp: string | undefined;
  readonly webhookSignature: string | undefined;
  /** Static token from `Authorization: Bearer`, `X-Postwire-Token` or a `token` parameter. */
  readonly token: string | undefined;
  readonly nowSeconds: number;
}

export const hashToken = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Standard Webhooks' message id as DESIGN §2 bounds it: printable ASCII, at most 255 characters. */
const WEBHOOK_ID = /^[\x20-\x7e]{1,255}$/;

/**
 * Secrets an administrator types in themselves must hold at least this many bytes (DESIGN §2);
 * generated ones have 32. Stored secrets of 16 to 23 bytes, accepted before, still verify.
 */
export const MIN_SECRET_BYTES_BY_HAND = 24;
const MIN_SECRET_BYTES = 16;

/** A secret set by hand: valid base64 of at least MIN_SECRET_BYTES_BY_HAND bytes. */
export function checkSecretByHand(secret: string): Result<void> {
  const decoded = decodeSecret(secret);
  if (!decoded.ok) return fail(decoded.error.code, decoded.error.message, "hmac_secrets");
  if (decoded.value.length < MIN_SECRET_BYTES_BY_HAND)
    return fail(
      "invalid_field",
      `HMAC secrets set by hand must hold at least ${MIN_SECRET_BYTES_BY_HAND} random bytes (this one has ${decoded.value.length}); omit hmac_secrets to have one generated.`,
      "hmac_secrets",
    );
  return ok(undefined);
}

/** Validates settings as saved: at most two secrets, a static token only with an allowlist. */
export function prepareAuth(auth: OperatorAuth): Result<PreparedAuth> {
  if (auth.hmacSecrets.length > 2)
    return fail("invalid_field", "At most two HMAC secrets are live at once.", "hmac_secrets");
  const secrets: Buffer[] = [];
  for (const secret of auth.hmacSecrets) {
    const decoded = decodeSecret(secret);
    if (!decoded.ok) return decoded;
    if (decoded.value.length < MIN_SECRET_BYTES)
      return fail(
        "invalid_field",
        `HMAC secrets must hold at least ${MIN_SECRET_BYTES} bytes.`,
        "hmac_secrets",
      );
    secrets.push(decoded.value);
  }
  const allowlist = parseCidrList(auth.ipAllowlist, "ip_allowlist");
  if (!allowlist.ok) return allowlist;
  const proxies = parseCidrList(auth.trustedProxies, "trusted_proxies");
  if (!proxies.ok) return proxies;
  if (auth.staticTokenHash !== null && auth.ipAllowlist.length === 0) {
    return fail(
      "invalid_field",
      "A static token is only allowed together with an IP allowlist.",
      "static_token",
    );
  }
  // A malformed hash would make timingSafeEqual throw (a 500) on every postback: refuse it here.
  if (auth.staticTokenHash !== null && !SHA256_HEX.test(auth.staticTokenHash)) {
    return fail(
      "invalid_field",
      "The static token hash must be 64 hex characters (SHA-256).",
      "static_token",
    );
  }
  if (secrets.length === 0 && auth.staticTokenHash === null && auth.ipAllowlist.length === 0) {
    return fail("invalid_field", "Configure at least one of: HMAC secrets, or an IP allowlist.", "auth");
  }
  return ok({
    secrets,
    allowlist: auth.ipAllowlist.length ? allowlist.value : undefined,
    trustedProxies: auth.trustedProxies.length ? proxies.value : undefined,
    tokenHash: auth.staticTokenHash === null ? undefined : Buffer.from(auth.staticTokenHash, "hex"),
  });
}

/** What authentication learnt: the sender's signed time, when the request was signed. */
export interface Authenticated {
  /** `ts` or `webhook-timestamp` of a verified signature (unix seconds); undefined if unsigned. */
  readonly signedAtSeconds: number | undefined;
}

const UNSIGNED: Authenticated = { signedAtSeconds: undefined };

export function authenticatePostback(auth: PreparedAuth, input: AuthInput): Result<Authenticated> {
  if (auth.allowlist && !auth.allowlist.contains(input.clientIp)) {
    return fail("ip_not_allowed", `${input.clientIp} is not in the operator's IP allowlist.`);
  }
  // Checked whenever sent, signature or not: it is stored as evidence in the request log.
  const id = input.webhookId;
  if (input.method === "POST" && id !== undefined && id !== "" && !WEBHOOK_ID.test(id)) {
    return fail(
      "invalid_field",
      "webhook-id must be 1-255 printable ASCII characters (a unique id of the message).",
      "webhook-id",
    );
  }
  let signedAtSeconds: number | undefined;
  if (auth.secrets.length > 0) {
    const signed =
      input.method === "GET" ? checkQuerySignature(auth, input) : checkWebhookSignature(auth, input);
    if (!signed.ok) return signed;
    signedAtSeconds = signed.value;
  }
  if (auth.tokenHash) {
    const given = input.token === undefined ? undefined : hashToken(input.token);
    if (!given || !timingSafeEqual(given, auth.tokenHash)) return fail("invalid_token");
  }
  return ok(signedAtSeconds === undefined ? UNSIGNED : { signedAtSeconds });
}

/**
 * For a request refused as `signature_expired`: the sender's time minus ours (seconds) when its
 * signature is otherwise valid, else undefined. A clock that is wrong shows in these, not only in
 * the accepted requests' small skews (an unverified timestamp proves nothing: anyone can send one).
 */
export function expiredSkewSeconds(auth: PreparedAuth, input: AuthInput): number | undefined {
  const signed =
    input.method === "GET"
      ? // Only whether it verifies: a diagnosis of the mismatch would be thrown away here.
        checkQuerySignature(auth, input, Number.POSITIVE_INFINITY, false)
      : checkWebhookSignature(auth, input, Number.POSITIVE_INFINITY, false);
  return signed.ok ? signed.value - Math.floor(input.nowSeconds) : undefined;
}

/** The first value of each auth parameter, or a failure naming the one given more than once. */
function queryAuthParams(pairs: AuthInput["pairs"]): Result<{ ts?: string; sig?: string }> {
  const found: { ts?: string; sig?: string } = {};
  for (const [name, value] of pairs) {
    if (name !== "ts" && name !== "sig") continue;
    if (found[name] !== undefined)
      return fail("ambiguous_parameter", `${name} is given more than once.`, name);
    found[name] = value;
  }
  return ok(found);
}

/** The verified `ts` of a signed GET (within `tolerance` of now), or why not. */
function checkQuerySignature(
  auth: PreparedAuth,
  input: AuthInput,
  tolerance = SIGNATURE_TOLERANCE_SECONDS,
  diagnose = true,
): Result<number> {
  const params = queryAuthParams(input.pairs);
  if (!params.ok) return params;
  const { ts, sig } = params.value;
  if (ts === undefined || sig === undefined) {
    return fail(
      "missing_signature",
      "Signed GET postbacks carry ts (unix seconds) and sig (hex HMAC-SHA256).",
      ts === undefined ? "ts" : "sig",
    );
  }
  const time = checkTimestamp(ts, input.nowSeconds, tolerance);
  if (time === "invalid") return fail("invalid_signature", "ts must be unix seconds.", "ts");
  if (time === "expired") return fail("signature_expired", undefined, "ts");
  if (!verifyQuerySignature(auth.secrets, input.pairs, sig))
    return diagnose
      ? mismatch(diagnoseQuerySignature(auth.secrets, input.pairs, sig), "sig")
      : fail("invalid_signature", undefined, "sig");
  return ok(Number(ts));
}

/** The verified `webhook-timestamp` of a signed POST (within `tolerance` of now), or why not. */
function checkWebhookSignature(
  auth: PreparedAuth,
  input: AuthInput,
  tolerance = SIGNATURE_TOLERANCE_SECONDS,
  diagnose = true,
): Result<number> {
  const { webhookId: id, webhookTimestamp: ts, webhookSignature: signature } = input;
  if (!id || !ts || !signature) {
    return fail(
      "missing_signature",
      "Signed POST postbacks carry webhook-id, webhook-timestamp and webhook-signature headers.",
    );
  }
  const time = checkTimestamp(ts, input.nowSeconds, tolerance);
  if (time === "invalid")
    return fail("invalid_signature", "webhook-timestamp must be unix seconds.", "webhook-timestamp");
  if (time === "expired") return fail("signature_expired", undefined, "webhook-timestamp");
  if (!verifyWebhookSignature(auth.secrets, id, ts, input.body, signature)) {
    return diagnose
      ? mismatch(diagnoseWebhookSignature(auth.secrets, id, ts, input.body, signature), "webhook-signature")
      : fail("invalid_signature", undefined, "webhook-signature");
  }
  return ok(Number(ts));
}

/** `invalid_signature` with what was verified and the recognised mistake (signature-diagnosis.ts). */
function mismatch(diagnosis: SignatureDiagnosis, field: string): Result<never> {
  const { verified, mistake, hint } = diagnosis;
  return {
    ok: false,
    error: {
      code: "invalid_signature",
      message: `The signature does not match. ${hint}`,
      field,
      details: mistake === undefined ? { verified } : { verified, mistake },
    },
  };
}

/**
 * What authentication checked, for the step trace of a request that passed it: which of the live
 * secrets verified (1 = the first; a rotation's second secret is 2), the signed time and its skew
 * from ours, and whether an allowlist and a token were checked. Never the secret or a signature.
 */
export function authenticationFacts(auth: PreparedAuth, input: AuthInput): Record<string, unknown> {
  const facts: Record<string, unknown> = {
    method: input.method,
    client_ip: input.clientIp,
    ip_allowlist: auth.allowlist !== undefined,
    static_token: auth.tokenHash !== undefined,
    signed: auth.secrets.length > 0,
  };
  if (auth.secrets.length === 0) return facts;
  const index = auth.secrets.findIndex((secret) => {
    if (input.method === "GET") {
      const sig = input.pairs.find(([name]) => name === "sig")?.[1];
      return sig !== undefined && verifyQuerySignature([secret], input.pairs, sig);
    }
    const { webhookId: id, webhookTimestamp: ts, webhookSignature: signature } = input;
    return !!id && !!ts && !!signature && verifyWebhookSignature([secret], id, ts, input.body, signature);
  });
  const ts =
    input.method === "GET" ? input.pairs.find(([name]) => name === "ts")?.[1] : input.webhookTimestamp;
  facts["matched_secret"] = index < 0 ? null : index + 1;
  facts["secrets_live"] = auth.secrets.length;
  if (ts !== undefined && /^\d+$/.test(ts)) {
    facts["signed_at"] = new Date(Number(ts) * 1000).toISOString();
    facts["skew_seconds"] = Number(ts) - Math.floor(input.nowSeconds);
    facts["tolerance_seconds"] = SIGNATURE_TOLERANCE_SECONDS;
  }
  if (input.method === "POST") facts["webhook_id"] = input.webhookId;
  return facts;
}
