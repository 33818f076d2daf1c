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
  help: { type: "boolean", short: "h", default: false },
} as const;

export function verifyCommand(argv: readonly string[], env: Env, io: CliIo, usage: string): number {
  const { values } = parseArgs({ args: [...argv], options: VERIFY_OPTIONS, strict: true });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const secret = secretOf(values.secret, env);
  if (!secret)
    throw new UsageError("verify needs the operator's secret: --secret whsec_… or POSTWIRE_SECRET");
  const nowSeconds = Number(unixSecondsOf("now", values.now, io));
  const post = [values.id, values.timestamp, values.signature, values.body, values["body-file"]];
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
