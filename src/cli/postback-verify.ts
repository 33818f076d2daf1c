/**
 * `postwire postback verify`: checks a signature the way the service does, and when it does not
 * match, shows what was expected (the canonical query or signed content and the right signature),
 * so an operator's engineer can see where their implementation differs.
 */
import { parseArgs } from "node:util";
import {
  canonicalQuery,
  checkTimestamp,
  parseFormPairs,
  SIGNATURE_TOLERANCE_SECONDS,
  signQuery,
  signWebhook,
  verifyQuerySignature,
  verifyWebhookSignature,
} from "../domain/signing.ts";
import { type CliIo, UsageError } from "./io.ts";
import { baseUrlOf, getWithKey } from "./postback-trace.ts";
import { type Env, secretOf, unixSecondsOf } from "./signing-options.ts";

const VERIFY_OPTIONS = {
  secret: { type: "string" },
  query: { type: "string" },
  id: { type: "string" },
  timestamp: { type: "string" },
  signature: { type: "string" },
  body: { type: "string" },
  "body-file": { type: "string" },
  now: { type: "string" },
  "log-entry": { type: "string" },
  url: { type: "string" },
  "api-key": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function verifyCommand(
  argv: readonly string[],
  env: Env,
  io: CliIo,
  usage: string,
): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: VERIFY_OPTIONS, strict: true });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const secret = secretOf(values.secret, env);
  if (!secret)
    throw new UsageError("verify needs the operator's secret: --secret whsec_… or POSTWIRE_SECRET");
  const post = [values.id, values.timestamp, values.signature, values.body, values["body-file"]];
  if (values["log-entry"] !== undefined) {
    if (values.query !== undefined || post.some((v) => v !== undefined))
      throw new UsageError(
        "--log-entry takes the request from the request log: give no --query, --id or --body",
      );
    return verifyLogEntry(secret, values["log-entry"], values, env, io);
  }
  if (values.url !== undefined || values["api-key"] !== undefined)
    throw new UsageError("--url and --api-key apply to --log-entry only");
  const nowSeconds = Number(unixSecondsOf("now", values.now, io));
  if (values.query !== undefined) {
    if (post.some((v) => v !== undefined)) {
      throw new UsageError(
        "give either --query (GET) or --id/--timestamp/--signature/--body (POST), not both",
      );
    }
    return verifyQuery(secret, values.query, nowSeconds, io);
  }
  const { id, timestamp, signature } = values;
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw new UsageError("give --query '<query>' (GET), or --id, --timestamp, --signature and --body (POST)");
  }
  if ((values.body === undefined) === (values["body-file"] === undefined)) {
    throw new UsageError("give the POST body with exactly one of --body or --body-file (- for stdin)");
  }
  const body =
    values.body === undefined ? bodyFile(values["body-file"]!, io) : Buffer.from(values.body, "utf8");
  return verifyPost(secret, id, timestamp, signature, body, nowSeconds, io);
}

/**
 * Reproduces the check of a request-log entry refused for its signature: what it was checked over
 * comes from the service (GET /v1/request-log/{id}/signature), the secret stays here; the time is
 * the entry's (--now to choose another).
 */
async function verifyLogEntry(
  secret: Uint8Array,
  id: string,
  values: { url?: string | undefined; "api-key"?: string | undefined; now?: string | undefined },
  env: Env,
  io: CliIo,
): Promise<number> {
  const key = values["api-key"] ?? env["POSTWIRE_API_KEY"];
  if (!key)
    throw new UsageError("--log-entry needs --api-key (or POSTWIRE_API_KEY): an admin or operator key");
  const url = `${baseUrlOf(values.url, env)}/v1/request-log/${encodeURIComponent(id)}/signature`;
  const text = await getWithKey(url, key, io, "verify");
  if (text === undefined) return 1;
  const entry = JSON.parse(text) as {
    method: "GET" | "POST";
    received_at: string;
    query?: string;
    webhook_id?: string | null;
    webhook_timestamp?: string | null;
    webhook_signature?: string | null;
    body_base64?: string;
    body_bytes?: number;
  };
  const nowSeconds =
    values.now === undefined
      ? Math.floor(Date.parse(entry.received_at) / 1000)
      : Number(unixSecondsOf("now", values.now, io));
  io.out(`request-log entry ${id}: ${entry.method}, received ${entry.received_at}`);
  if (entry.method === "GET") return verifyQuery(secret, entry.query ?? "", nowSeconds, io);
  if (entry.body_bytes !== undefined)
    io.out(
      `note: the body was ${entry.body_bytes} bytes; only its start is kept, so the check cannot be reproduced`,
    );
  const { webhook_id: wid, webhook_timestamp: ts, webhook_signature: sig } = entry;
  if (!wid || !ts || !sig) {
    io.out("signature: MISSING (the POST did not carry all three Standard Webhooks headers)");
    return 1;
  }
  return verifyPost(secret, wid, ts, sig, Buffer.from(entry.body_base64 ?? "", "base64"), nowSeconds, io);
}

function verifyPost(
  secret: Uint8Array,
  id: string,
  timestamp: string,
  signature: string,
  body: Buffer,
  nowSeconds: number,
  io: CliIo,
): number {
  const valid = verifyWebhookSignature([secret], id, timestamp, body, signature);
  io.out(`signature: ${valid ? "valid" : "INVALID"}`);
  const fresh = reportTime(timestamp, nowSeconds, io);
  if (!valid) {
    io.out(`signed content: ${id}.${timestamp}.${body.toString("utf8")}`);
    io.out(`expected webhook-signature: ${signWebhook(secret, id, timestamp, body)}`);
  }
  return valid && fresh ? 0 : 1;
}

function bodyFile(file: string, io: CliIo): Buffer {
  try {
    return io.readFile(file);
  } catch (error) {
    throw new UsageError(`--body-file: cannot read ${file}: ${(error as Error).message}`);
  }
}

function verifyQuery(secret: Uint8Array, text: string, nowSeconds: number, io: CliIo): number {
  // Accept a whole URL or the query alone; the fragment is never sent to a server.
  const query = text.includes("?") ? text.slice(text.indexOf("?") + 1) : text;
  const pairs = parseFormPairs(query.split("#", 1)[0]!);
  const ts = pairs.find(([name]) => name === "ts")?.[1];
  const sig = pairs.find(([name]) => name === "sig")?.[1];
  if (ts === undefined || sig === undefined) {
    io.out(
      `signature: MISSING (a signed GET carries both ts and sig; this query has no ${ts ? "sig" : "ts"})`,
    );
    return 1;
  }
  const valid = verifyQuerySignature([secret], pairs, sig);
  io.out(`signature: ${valid ? "valid" : "INVALID"}`);
  const fresh = reportTime(ts, nowSeconds, io);
  io.out(`canonical query: ${canonicalQuery(pairs)}`);
  if (!valid) io.out(`expected sig: ${signQuery(secret, pairs)}`);
  return valid && fresh ? 0 : 1;
}

/** Prints how the timestamp compares with now; true when within the tolerance. */
function reportTime(ts: string, nowSeconds: number, io: CliIo): boolean {
  const verdict = checkTimestamp(ts, nowSeconds);
  if (verdict === "invalid") {
    io.out(`timestamp: "${ts}" is not unix seconds: the service answers invalid_signature`);
    return false;
  }
  const skew = Number(ts) - nowSeconds;
  const when = `${new Date(Number(ts) * 1000).toISOString()}, ${Math.abs(skew)} s ${skew > 0 ? "ahead" : "ago"}`;
  const minutes = SIGNATURE_TOLERANCE_SECONDS / 60;
  io.out(
    verdict === "ok"
      ? `timestamp: ${ts} (${when}): within the ${minutes}-minute tolerance`
      : `timestamp: ${ts} (${when}): outside the ${minutes}-minute tolerance: the service answers signature_expired (use --now to check an old request)`,
  );
  return verdict === "ok";
}
