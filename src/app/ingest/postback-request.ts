/**
 * An inbound postback as the HTTP layer hands it over, and the per-request steps before anything
 * touches stored state: reading its parameters (query, form or JSON; valid UTF-8 only) and
 * authenticating it, which also reports how far the sender's signed clock is from ours.
 */
import { fail, ok, type Result } from "../../domain/errors.ts";
import { jsonParams } from "../../domain/json-params.ts";
import {
  type Authenticated,
  type AuthInput,
  authenticatePostback,
  authenticationFacts,
  expiredSkewSeconds,
  type PreparedAuth,
} from "../../domain/postback-auth.ts";
import { parseFormPairs } from "../../domain/signing.ts";

export interface PostbackRequest {
  readonly operatorKey: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly rawQuery: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string;
  readonly receivedAt: number;
  /** process.hrtime.bigint() at arrival, for the latency in the request log. */
  readonly startedNs: bigint;
}

const header = (request: PostbackRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Whether percent-escapes of form/query text decode to valid UTF-8. URLSearchParams silently turns
 * bad bytes into U+FFFD, which would store (and sign) something the operator never sent.
 */
function isUtf8FormText(text: string): boolean {
  if (!text.includes("%")) return true;
  try {
    // A '%' not followed by two hex digits is literal for URLSearchParams: escape it first.
    decodeURIComponent(text.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
    return true;
  } catch {
    return false;
  }
}

function formPairs(text: string, where: string): Result<Array<[string, string]>> {
  if (!isUtf8FormText(text)) return fail("invalid_request", `The ${where} is not valid UTF-8 once decoded.`);
  return ok(parseFormPairs(text));
}

export function requestPairs(request: PostbackRequest): Result<Array<[string, string]>> {
  if (request.method === "GET") return formPairs(request.rawQuery, "query string");
  if (request.rawQuery !== "") {
    return fail(
      "invalid_request",
      "POST parameters go in the body, not the query string (the signature covers only the body).",
    );
  }
  let text: string;
  try {
    text = utf8.decode(request.body);
  } catch {
    return fail("invalid_request", "The body is not valid UTF-8.");
  }
  const type = (header(request, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) return jsonParams(text);
  if (type === "application/x-www-form-urlencoded") return formPairs(text, "body");
  return fail("unsupported_media_type", "Send application/json or application/x-www-form-urlencoded.");
}

function tokenOf(
  request: PostbackRequest,
  pairs: ReadonlyArray<readonly [string, string]>,
): string | undefined {
  const authorization = header(request, "authorization");
  if (authorization?.startsWith("Bearer ")) return authorization.slice(7);
  return header(request, "x-postwire-token") ?? pairs.find(([name]) => name === "token")?.[1];
}

/**
 * Authenticates the request with the operator's settings. `onSkew` hears (sender's signed time
 * minus ours, in seconds) for every request whose signature verifies, also when it is refused as
 * expired: a server clock gone wrong shows there before it turns every postback into a 401.
 */
export function authenticateRequest(
  auth: PreparedAuth,
  request: PostbackRequest,
  pairs: ReadonlyArray<readonly [string, string]>,
  clientIp: string,
  onSkew?: (skewSeconds: number) => void,
): Result<Authenticated> {
  const input = authInput(request, pairs, clientIp);
  const result = authenticatePostback(auth, input);
  if (onSkew) {
    const skew = result.ok
      ? result.value.signedAtSeconds === undefined
        ? undefined
        : result.value.signedAtSeconds - input.nowSeconds
      : result.error.code === "signature_expired"
        ? expiredSkewSeconds(auth, input)
        : undefined;
    if (skew !== undefined) onSkew(skew);
  }
  return result;
}

/** The most body bytes kept as signature evidence (a bigger body is kept cut, and says so). */
const SIGNED_BODY_LIMIT = 65_536;

/** Signature failures whose material is kept (a missing signature has nothing to check). */
const KEPT_FAILURES: ReadonlySet<string> = new Set(["invalid_signature", "signature_expired"]);

/**
 * What a refused signature was checked over, as JSON, or undefined when the refusal is not about a
 * signature: GET, the query as received with `sig` (a signature proves nothing without the secret)
 * and any `token` redacted; POST, the Standard Webhooks headers and the body bytes (base64).
 */
export function signatureMaterial(request: PostbackRequest, code: string): string | undefined {
  if (!KEPT_FAILURES.has(code)) return undefined;
  if (request.method === "GET")
    return JSON.stringify({
      method: "GET",
      query: request.rawQuery.replace(/(^|&)(token=)[^&]*/g, "$1$2[redacted]"),
    });
  return JSON.stringify({
    method: "POST",
    webhook_id: header(request, "webhook-id") ?? null,
    webhook_timestamp: header(request, "webhook-timestamp") ?? null,
    webhook_signature: header(request, "webhook-signature") ?? null,
    content_type: header(request, "content-type") ?? null,
    body_base64: request.body.subarray(0, SIGNED_BODY_LIMIT).toString("base64"),
    ...(request.body.byteLength > SIGNED_BODY_LIMIT ? { body_bytes: request.body.byteLength } : {}),
  });
}

/** The authentication step of a traced request (domain/postback-auth.ts: authenticationFacts). */
export function authenticationTrace(
  auth: PreparedAuth,
  request: PostbackRequest,
  pairs: ReadonlyArray<readonly [string, string]>,
  clientIp: string,
): Record<string, unknown> {
  return authenticationFacts(auth, authInput(request, pairs, clientIp));
}

function authInput(
  request: PostbackRequest,
  pairs: ReadonlyArray<readonly [string, string]>,
  clientIp: string,
): AuthInput {
  return {
    method: request.method,
    clientIp,
    pairs,
    body: request.body,
    webhookId: header(request, "webhook-id"),
    webhookTimestamp: header(request, "webhook-timestamp"),
    webhookSignature: header(request, "webhook-signature"),
    token: tokenOf(request, pairs),
    nowSeconds: Math.floor(request.receivedAt / 1000),
  };
}
