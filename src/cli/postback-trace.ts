/**
 * `postwire postback trace <request-log id>`: the step trace of a traced postback (a test event, a
 * validate-only run), read from GET /v1/request-log/{id}/trace with an API key (the network's, or
 * the operator's own), printed one step per line with its details.
 */
import { parseArgs } from "node:util";
import { type CliIo, UsageError } from "./io.ts";
import type { Env } from "./signing-options.ts";

export const TRACE_USAGE = `Usage: postwire postback trace <request-log id> [--url URL] [--api-key KEY] [--json]

  Prints each step of the postback (operator, authentication, mapping, validation, idempotency,
  attribution, commissions, outbound) with its outcome and details. The id is the rq_… of the
  request log, or the trace_url of a test answer.
  --url URL        Service base URL (default: $PUBLIC_URL or http://localhost:8080)
  --api-key KEY    An admin key, or the operator's own (default: $POSTWIRE_API_KEY)
  --json           Print the trace as JSON
Exit 0 when every step passed or was skipped, 1 when one failed or the trace cannot be read.`;

interface Step {
  readonly step: string;
  readonly outcome: string;
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

const MARK: Record<string, string> = { passed: "ok  ", failed: "FAIL", skipped: "skip" };

/** The base URL of --url (or PUBLIC_URL), checked. */
export function baseUrlOf(given: string | undefined, env: Env): string {
  // As in config.ts, an empty PUBLIC_URL counts as unset.
  const fallback = env["PUBLIC_URL"]?.trim() || "http://localhost:8080";
  const baseUrl = (given ?? fallback).trim().replace(/\/+$/, "");
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new UsageError(`--url must be an http(s) URL such as http://localhost:8080, got "${baseUrl}"`);
  }
  return baseUrl;
}

/** GET with an API key: the body of a 2xx, or undefined once the failure is reported on stderr. */
export async function getWithKey(
  url: string,
  key: string,
  io: CliIo,
  command: string,
): Promise<string | undefined> {
  let response: Response;
  try {
    response = await io.fetch(url, { headers: { authorization: `Bearer ${key}` } });
  } catch (error) {
    io.err(`postwire postback ${command}: could not reach ${url}: ${(error as Error).message}`);
    return undefined;
  }
  const text = await response.text();
  if (response.ok) return text;
  io.err(`postwire postback ${command}: ${response.status} ${text}`);
  return undefined;
}

export async function traceCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: "string" },
      "api-key": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(TRACE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("give one request-log id (rq_…) or trace_url");
  const id = /\/request-log\/([^/]+)\/trace$/.exec(positionals[0]!)?.[1] ?? positionals[0]!;
  const key = values["api-key"] ?? env["POSTWIRE_API_KEY"];
  if (!key) throw new UsageError("--api-key (or POSTWIRE_API_KEY) is required: an admin or operator key");
  const url = `${baseUrlOf(values.url, env)}/v1/request-log/${encodeURIComponent(decodeURIComponent(id))}/trace`;
  const text = await getWithKey(url, key, io, "trace");
  if (text === undefined) return 1;
  const trace = JSON.parse(text) as { request_log_id: string; mode: string; steps: Step[] };
  if (values.json) io.out(JSON.stringify(trace, null, 2));
  else {
    io.out(`trace of ${trace.request_log_id} (${trace.mode})`);
    for (const step of trace.steps) {
      io.out(`${MARK[step.outcome] ?? step.outcome} ${step.step.padEnd(14)} ${step.summary}`);
      if (Object.keys(step.details).length) io.out(`     ${JSON.stringify(step.details)}`);
    }
  }
  return trace.steps.some((s) => s.outcome === "failed") ? 1 : 0;
}
