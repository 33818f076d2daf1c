/**
 * `postwire postback build|sign|send|verify`: build, sign and send test postbacks exactly as an
 * operator's backend would, and check a signature an operator computed (docs/integration.md).
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { createIds } from "../adapters/clock-and-ids.ts";
import { type CliIo, isParseArgsError, processIo, UsageError } from "./io.ts";
import {
  curlCommand,
  httpMessage,
  type PostbackSpec,
  postbackRequest,
  type Signing,
} from "./postback-request.ts";
import { baseUrlOf, traceCommand } from "./postback-trace.ts";
import { verifyCommand } from "./postback-verify.ts";
import { type Env, secretOf, unixSecondsOf } from "./signing-options.ts";

export const POSTBACK_USAGE = `Usage: postwire postback <build|sign|send|verify|trace> [options]

  build    Print the postback: the GET URL, or the POST body (its target on stderr).
  sign     As build, signed: GET gets ts and sig; POST is printed with its
           Standard Webhooks headers (webhook-id = txid, webhook-timestamp, webhook-signature).
  send     Sign (when a secret is given), send, print the status and the JSON answer.
           Exit 0 on 2xx, 1 otherwise.
  verify   Check a signature: --query '<query or URL>' for GET, or
           --id, --timestamp, --signature and --body/--body-file for POST, or
           --log-entry rq_… for a request-log entry refused for its signature (read with
           --url and --api-key or $POSTWIRE_API_KEY; checked here, at the entry's time).
           Exit 0 when the service would accept it, 1 when not.
  trace    The step trace of a test or validate-only postback: postwire postback trace rq_…
           (--url, --api-key or $POSTWIRE_API_KEY; postwire postback trace --help).

Postback options (build, sign, send):
  --url URL             Service base URL (default: $PUBLIC_URL or http://localhost:8080)
  --operator-key KEY    The operator's key: /v1/postback/KEY (required)
  --event NAME          Event type: registration, ftd, deposit, revenue, trade, refund… (required)
  --txid ID             The operator's unique event id (default: a new unique id)
  --click-id ID         --player-id ID        --amount DECIMAL      --currency CODE
  --lots DECIMAL        --reverses TXID       --occurred-at ISO8601|UNIX_SECONDS
  --test                Test mode (test=1): full pipeline, flagged, no money
  --validate-only       send: header Postwire-Validate-Only: 1 (whole pipeline, nothing stored)
  --param NAME=VALUE    Extra parameter, repeatable (sub_id, program_id, your own…)
  --method GET|POST     Default GET
  --format json|form    POST body encoding (default json)
  --curl                build, sign: print a curl command instead

Signing options (sign, send, verify):
  --secret whsec_…      The operator's HMAC secret (default: $POSTWIRE_SECRET)
  --timestamp SECONDS   Pin the signature time (default: now); for verify, the webhook-timestamp
  --timeout MS          send: give up after MS milliseconds (default 10000)
  --now SECONDS         verify: check the timestamp against this time instead of now

Examples:
  postwire postback sign --operator-key op_acme --event ftd --txid dep-1001 \\
    --click-id c1AbC --amount 100.50 --currency EUR --secret whsec_…
  postwire postback send --method POST --operator-key op_acme --event registration --click-id c1AbC --test
  postwire postback verify --secret whsec_… --query 'event=ftd&txid=dep-1001&ts=…&sig=…'

Exit codes: 0 success, 1 rejected/invalid/unreachable, 2 usage error.`;

const REQUEST_OPTIONS = {
  url: { type: "string" },
  "operator-key": { type: "string" },
  event: { type: "string" },
  txid: { type: "string" },
  "click-id": { type: "string" },
  "player-id": { type: "string" },
  amount: { type: "string" },
  currency: { type: "string" },
  lots: { type: "string" },
  reverses: { type: "string" },
  "occurred-at": { type: "string" },
  test: { type: "boolean", default: false },
  param: { type: "string", multiple: true, default: [] as string[] },
  method: { type: "string", default: "GET" },
  format: { type: "string" },
  secret: { type: "string" },
  timestamp: { type: "string" },
  timeout: { type: "string" },
  curl: { type: "boolean", default: false },
  "validate-only": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

type Subcommand = "build" | "sign" | "send";
type RequestOption = keyof typeof REQUEST_OPTIONS;
/** Options each subcommand refuses (so a misplaced flag is reported, not ignored). */
const REFUSED: Record<Subcommand, readonly RequestOption[]> = {
  build: ["secret", "timestamp", "timeout", "validate-only"],
  sign: ["timeout", "validate-only"],
  send: ["curl"],
};

/** Flags that set contract parameters, in the order they are sent. */
const PARAM_FLAGS = [
  ["event", "event"],
  ["txid", "txid"],
  ["reverses", "reverses"],
  ["click-id", "click_id"],
  ["player-id", "player_id"],
  ["amount", "amount"],
  ["currency", "currency"],
  ["lots", "lots"],
  ["occurred-at", "occurred_at"],
] as const;

export async function postbackCommand(
  argv: readonly string[],
  env: Env,
  io: CliIo = processIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case "build":
      case "sign":
      case "send":
        return await requestCommand(sub, rest, env, io);
      case "verify":
        return await verifyCommand(rest, env, io, POSTBACK_USAGE);
      case "trace":
        return await traceCommand(rest, env, io);
      case "help":
      case "--help":
      case "-h":
        io.out(POSTBACK_USAGE);
        return 0;
      case undefined:
        io.err(POSTBACK_USAGE);
        return 2;
      default:
        throw new UsageError(`unknown subcommand "${sub}": use build, sign, send, verify or trace`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      const where = ["build", "sign", "send", "verify", "trace"].includes(sub ?? "") ? ` ${sub}` : "";
      io.err(`postwire postback${where}: ${error.message}\nRun "postwire postback --help" for usage.`);
      return 2;
    }
    throw error;
  }
}

async function requestCommand(
  sub: Subcommand,
  argv: readonly string[],
  env: Env,
  io: CliIo,
): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: REQUEST_OPTIONS, strict: true });
  if (values.help) {
    io.out(POSTBACK_USAGE);
    return 0;
  }
  for (const name of REFUSED[sub]) {
    if (values[name] !== undefined && values[name] !== false)
      throw new UsageError(`--${name} does not apply to ${sub}`);
  }
  const spec = specOf(values, env, io);
  if (sub === "build") {
    const request = postbackRequest(spec);
    if (values.curl) io.out(curlCommand(request));
    else if (request.method === "GET") io.out(request.url);
    else {
      io.err(`POST ${request.url} (content-type: ${request.headers["content-type"]})`);
      io.out(request.body ?? "");
    }
    return 0;
  }
  const secret = secretOf(values.secret, env);
  if (!secret && (sub === "sign" || values.timestamp !== undefined)) {
    throw new UsageError(
      `${sub === "sign" ? "sign" : "--timestamp"} needs the operator's secret: --secret whsec_… or POSTWIRE_SECRET`,
    );
  }
  const signing: Signing | undefined = secret && {
    secret,
    timestamp: unixSecondsOf("timestamp", values.timestamp, io),
  };
  const clash = signing && spec.params.find(([name]) => name === "ts" || name === "sig");
  if (clash) throw new UsageError(`--param ${clash[0]} clashes with signing, which adds ts and sig itself`);
  const request = postbackRequest(spec, signing);
  if (sub === "sign") {
    io.out(
      values.curl ? curlCommand(request) : request.method === "GET" ? request.url : httpMessage(request),
    );
    return 0;
  }
  if (!signing) io.err("note: sending unsigned (no --secret or POSTWIRE_SECRET)");
  const sent = values["validate-only"]
    ? { ...request, headers: { ...request.headers, "postwire-validate-only": "1" } }
    : request;
  return send(sent, timeoutOf(values.timeout), io);
}

type RequestValues = ReturnType<
  typeof parseArgs<{ options: typeof REQUEST_OPTIONS; strict: true }>
>["values"];

function specOf(values: RequestValues, env: Env, io: CliIo): PostbackSpec {
  const baseUrl = baseUrlOf(values.url, env);
  const operatorKey = values["operator-key"];
  if (!operatorKey) throw new UsageError("--operator-key is required (the KEY of /v1/postback/KEY)");
  if (!values.event) throw new UsageError("--event is required (registration, ftd, deposit, …)");
  const method = values.method.toUpperCase();
  if (method !== "GET" && method !== "POST")
    throw new UsageError(`--method must be GET or POST, got "${values.method}"`);
  const format = values.format ?? "json";
  if (format !== "json" && format !== "form")
    throw new UsageError(`--format must be json or form, got "${format}"`);
  if (values.format !== undefined && method !== "POST")
    throw new UsageError("--format applies to POST bodies only");

  const txid = values.txid ?? createIds({ now: io.now }).next("tx");
  const params: Array<[string, string]> = [];
  for (const [flag, name] of PARAM_FLAGS) {
    const value = flag === "txid" ? txid : values[flag];
    if (value !== undefined) params.push([name, value]);
  }
  if (values.test) params.push(["test", "1"]);
  for (const entry of values.param) {
    const eq = entry.indexOf("=");
    if (eq < 1) throw new UsageError(`--param must be NAME=VALUE, got "${entry}"`);
    const name = entry.slice(0, eq);
    if (params.some(([given]) => given === name)) {
      throw new UsageError(`parameter "${name}" is given twice; give each parameter once`);
    }
    params.push([name, entry.slice(eq + 1)]);
  }
  return { baseUrl, operatorKey, method, format, txid, params };
}

function timeoutOf(given: string | undefined): number {
  if (given === undefined) return 10_000;
  if (!/^\d{1,7}$/.test(given) || Number(given) < 1) {
    throw new UsageError(`--timeout must be milliseconds from 1 to 9999999, got "${given}"`);
  }
  return Number(given);
}

async function send(
  request: ReturnType<typeof postbackRequest>,
  timeoutMs: number,
  io: CliIo,
): Promise<number> {
  let response: Response;
  let text: string;
  try {
    response = await io.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    io.err(`postwire postback send: could not reach ${request.method} ${request.url}: ${why}`);
    return 1;
  }
  io.out(`${response.status} ${response.statusText}`.trim());
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter !== null) io.out(`retry-after: ${retryAfter}`);
  io.out(text);
  return response.ok ? 0 : 1;
}
