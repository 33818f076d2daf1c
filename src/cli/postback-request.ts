/**
 * The HTTP request of a test postback, unsigned or signed exactly as the service verifies it
 * (DESIGN §2, docs/integration.md): GET with `ts` and `sig` over the canonical query, POST with
 * Standard Webhooks headers (`webhook-id` = txid).
 */
import { rfc3986Encode, signQuery, signWebhook } from "../domain/signing.ts";

export interface PostbackSpec {
  /** Service base URL without a trailing slash, e.g. http://localhost:8080. */
  readonly baseUrl: string;
  readonly operatorKey: string;
  readonly method: "GET" | "POST";
  /** POST body encoding. */
  readonly format: "json" | "form";
  readonly txid: string;
  /** Contract parameters in the order they are sent (no `ts`/`sig`). */
  readonly params: ReadonlyArray<readonly [string, string]>;
}

export interface PostbackRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** POST only: the exact bytes (UTF-8) that are signed and sent. */
  readonly body: string | undefined;
}

export interface Signing {
  readonly secret: Uint8Array;
  /** Unix seconds, as sent in `ts` / `webhook-timestamp`. */
  readonly timestamp: string;
}

/** name=value pairs joined with '&', each side RFC 3986 encoded (also valid form encoding). */
export function encodePairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${rfc3986Encode(name)}=${rfc3986Encode(value)}`).join("&");
}

function endpoint(spec: PostbackSpec): string {
  return `${spec.baseUrl}/v1/postback/${rfc3986Encode(spec.operatorKey)}`;
}

/** The postback request; signed when `signing` is given. */
export function postbackRequest(spec: PostbackSpec, signing?: Signing): PostbackRequest {
  if (spec.method === "GET") {
    let pairs = [...spec.params];
    if (signing) {
      pairs.push(["ts", signing.timestamp]);
      pairs = [...pairs, ["sig", signQuery(signing.secret, pairs)]];
    }
    const query = encodePairs(pairs);
    return {
      method: "GET",
      url: query ? `${endpoint(spec)}?${query}` : endpoint(spec),
      headers: {},
      body: undefined,
    };
  }
  const body =
    spec.format === "json" ? JSON.stringify(Object.fromEntries(spec.params)) : encodePairs(spec.params);
  const headers: Record<string, string> = {
    "content-type": spec.format === "json" ? "application/json" : "application/x-www-form-urlencoded",
  };
  if (signing) {
    headers["webhook-id"] = spec.txid;
    headers["webhook-timestamp"] = signing.timestamp;
    headers["webhook-signature"] = signWebhook(signing.secret, spec.txid, signing.timestamp, body);
  }
  return { method: "POST", url: endpoint(spec), headers, body };
}

/** The request as an HTTP message: request line, headers, blank line, body. */
export function httpMessage(request: PostbackRequest): string {
  const lines = [`${request.method} ${request.url}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  return request.body === undefined ? lines.join("\n") : `${lines.join("\n")}\n\n${request.body}`;
}

const shellQuote = (text: string): string =>
  /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/** The same request as a curl command line (POSIX shell quoting). */
export function curlCommand(request: PostbackRequest): string {
  const parts = ["curl", "-sS"];
  if (request.method === "POST") parts.push("-X", "POST");
  for (const [name, value] of Object.entries(request.headers))
    parts.push("-H", shellQuote(`${name}: ${value}`));
  if (request.body !== undefined) parts.push("--data-binary", shellQuote(request.body));
  parts.push(shellQuote(request.url));
  return parts.join(" ");
}
