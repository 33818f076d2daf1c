/**
 * The raw request as kept in the request log (DESIGN §2, §5: evidence for disputes), with
 * signatures, tokens and secrets redacted. Redaction runs over the whole body before it is
 * truncated, so a secret cut in half by the size limit cannot leak its first part.
 */
export const RAW_BODY_LIMIT = 8192;
const REDACTED = "[redacted]";
/** Parameters that authenticate rather than describe the event (AUTH_PARAMS minus `ts`). */
const SECRET_PARAMS: ReadonlySet<string> = new Set(["sig", "token"]);
const KEPT_HEADERS = [
  "content-type",
  "content-length",
  "user-agent",
  "x-forwarded-for",
  "x-request-id",
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

function decodeFormName(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/**
 * Replaces the value of every `sig`/`token` pair of form-encoded text, however its name is spelt.
 * Everything else is kept byte for byte; the text is scanned in place (it is on every postback).
 */
export function redactFormText(text: string): string {
  let out = "";
  // Start of the text not yet copied to `out`.
  let copied = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    const equals = text.indexOf("=", start);
    const rawName = text.slice(start, equals >= 0 && equals < end ? equals : end);
    if (SECRET_PARAMS.has(decodeFormName(rawName))) {
      out += `${text.slice(copied, start)}${rawName}=${REDACTED}`;
      copied = end;
    }
    start = end + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Index just past the string token starting at `start` (a '"'), or the end of text if unterminated. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** Index just past the object or array starting at `start`, strings skipped; end of text if unclosed. */
function containerEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i) - 1;
    else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
  }
  return text.length;
}

function jsonKey(token: string): string {
  try {
    return String(JSON.parse(token));
  } catch {
    return token.slice(1, -1);
  }
}

const BARE_END = /[\s,:{}[\]"]/;

/**
 * Replaces the value of every `sig`/`token` member, at any depth, whatever its type (a numeric
 * token too) and however its key is escaped ("\u0074oken"). Tolerates invalid JSON: the scan is
 * lexical, so a broken body that was refused still has its secrets removed.
 */
export function redactJsonText(text: string): string {
  const parts: string[] = [];
  const stack: string[] = [];
  let last = 0;
  let expectKey = false;
  let keyIsSecret = false;
  let redactNext = false;
  const redact = (start: number, end: number) => {
    parts.push(text.slice(last, start), `"${REDACTED}"`);
    last = end;
    redactNext = false;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      if (redactNext) redact(i, end);
      else if (expectKey && stack.at(-1) === "{")
        keyIsSecret = SECRET_PARAMS.has(jsonKey(text.slice(i, end)));
      expectKey = false;
      i = end;
    } else if (c === "{" || c === "[") {
      if (redactNext) {
        const end = containerEnd(text, i);
        redact(i, end);
        i = end;
      } else {
        stack.push(c);
        expectKey = c === "{";
        i++;
      }
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === ",") {
      expectKey = stack.at(-1) === "{";
      redactNext = false;
      i++;
    } else if (c === ":") {
      redactNext = keyIsSecret;
      keyIsSecret = false;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      let end = i + 1;
      while (end < text.length && !BARE_END.test(text[end]!)) end++;
      if (redactNext) redact(i, end);
      i = end;
    }
  }
  parts.push(text.slice(last));
  return parts.join("");
}

function redactBody(text: string, contentType: string | undefined): string {
  const type = contentType?.toLowerCase() ?? "";
  if (type.includes("json")) return redactJsonText(text);
  // Form, and anything else too: a `token=` pair in a mislabelled body is still a secret.
  return redactFormText(text);
}

/** Keeps an Authorization scheme ("Bearer") but never its credentials. */
function redactHeader(name: string, value: string): string {
  if (name !== "authorization") return REDACTED;
  const scheme = /^([A-Za-z][A-Za-z0-9-]*) /.exec(value)?.[1];
  return scheme ? `${scheme} ${REDACTED}` : REDACTED;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function bodyText(body: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: utf8.decode(body), valid: true };
  } catch {
    return {
      text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"),
      valid: false,
    };
  }
}

/** At most `limit` bytes of UTF-8 text (a character cut in two becomes U+FFFD). */
function truncateUtf8(text: string, limit: number): { text: string; truncated: boolean } {
  if (text.length <= limit / 3) return { text, truncated: false };
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= limit) return { text, truncated: false };
  return { text: bytes.subarray(0, limit).toString("utf8"), truncated: true };
}

export function rawRequestJson(request: RawRequest): string {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  for (const name of REDACTED_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined)
      headers[name] = redactHeader(name, Array.isArray(value) ? value.join(", ") : value);
  }
  let body = "";
  let extra: Record<string, unknown> = {};
  if (request.body.byteLength > 0) {
    const decoded = bodyText(request.body);
    const cut = truncateUtf8(redactBody(decoded.text, headers["content-type"]), RAW_BODY_LIMIT);
    body = cut.text;
    extra = {
      ...(cut.truncated ? { body_truncated: true, body_bytes: request.body.byteLength } : {}),
      ...(decoded.valid ? {} : { body_invalid_utf8: true }),
    };
  }
  return JSON.stringify({
    method: request.method,
    query: redactFormText(request.rawQuery),
    headers,
    body,
    ...extra,
  });
}
