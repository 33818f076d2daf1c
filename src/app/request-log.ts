/** The raw request as kept in the request log, with signatures, tokens and secrets redacted. */
export const RAW_BODY_LIMIT = 8192;
const REDACTED = "[redacted]";
const SECRET_PARAMS = new Set(["sig", "token"]);
const KEPT_HEADERS = [
  "content-type",
  "user-agent",
  "x-forwarded-for",
  "webhook-id",
  "webhook-timestamp",
] as const;
const REDACTED_HEADERS = ["webhook-signature", "authorization", "x-postwire-token"] as const;

export interface RawRequest {
  readonly method: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

function redactQuery(rawQuery: string): string {
  if (!rawQuery) return rawQuery;
  return rawQuery
    .split("&")
    .map((part) => {
      const name = decodeURIComponentSafe(part.split("=", 1)[0]!.replace(/\+/g, " "));
      return SECRET_PARAMS.has(name) ? `${part.split("=", 1)[0]}=${REDACTED}` : part;
    })
    .join("&");
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redactBody(text: string, contentType: string | undefined): string {
  if (contentType?.includes("json"))
    return text.replace(/("token"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1"${REDACTED}"`);
  if (contentType?.includes("x-www-form-urlencoded")) return redactQuery(text);
  return text;
}

export function rawRequestJson(request: RawRequest): string {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  for (const name of REDACTED_HEADERS) if (request.headers[name] !== undefined) headers[name] = REDACTED;
  const contentType = headers["content-type"];
  const truncated = request.body.byteLength > RAW_BODY_LIMIT;
  const text = Buffer.from(
    request.body.buffer,
    request.body.byteOffset,
    Math.min(request.body.byteLength, RAW_BODY_LIMIT),
  ).toString("utf8");
  return JSON.stringify({
    method: request.method,
    query: redactQuery(request.rawQuery),
    headers,
    body: request.body.byteLength ? redactBody(text, contentType) : "",
    ...(truncated ? { body_truncated: true, body_bytes: request.body.byteLength } : {}),
  });
}
