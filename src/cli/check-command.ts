/**
 * `postwire check --program N`: the go-live checklist of a program (GET /v1/programs/N/checklist).
 * With `--fire`, it first acts as the operator: sends the whole set of signed test postbacks the
 * checklist asks for (every event type, a retry, reversals, a signed GET and POST, a wrong
 * signature) against the deployment at --url, then shows the checklist: an installation proven
 * end to end.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { eventRule } from "../domain/event-types.ts";
import { encodeSecret } from "../domain/signing.ts";
import { type CliIo, positiveIntOption, UsageError } from "./io.ts";
import { type PostbackSpec, postbackRequest, type PostbackRequest as Request } from "./postback-request.ts";
import { baseUrlOf } from "./postback-trace.ts";
import { type Env, secretOf } from "./signing-options.ts";

export const CHECK_USAGE = `Usage: postwire check --program N [--url URL] [--api-key KEY] [--json]
       postwire check --program N --fire --secret whsec_… [--url URL] [--api-key KEY]

  Shows the program's go-live checklist: each item passed, missing or not needed, and whether the
  program is ready to go live. --reset starts it afresh (only postbacks from now on count).
  --fire     Act as the operator first: send every test postback the checklist asks for (signed
             with --secret or $POSTWIRE_SECRET), then show the checklist.
  --url URL        Service base URL (default: $PUBLIC_URL or http://localhost:8080)
  --api-key KEY    An admin key, or the operator's own (default: $POSTWIRE_API_KEY)
Exit 0 when the program is ready to go live, 1 when not (or unreachable), 2 usage error.`;

interface Item {
  readonly id: string;
  readonly title: string;
  readonly state: string;
  readonly hint: string;
  readonly required_fields?: readonly string[];
}
interface ChecklistJson {
  readonly program_id: number;
  readonly ready: boolean;
  readonly items: readonly Item[];
  readonly missing: readonly string[];
}

const MARK: Record<string, string> = { passed: "[x]", missing: "[ ]", not_needed: "[-]" };

export async function checkCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      program: { type: "string" },
      url: { type: "string" },
      "api-key": { type: "string" },
      fire: { type: "boolean", default: false },
      reset: { type: "boolean", default: false },
      secret: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(CHECK_USAGE);
    return 0;
  }
  const programId = positiveIntOption("program", values.program);
  if (programId === undefined) throw new UsageError("--program N is required");
  const key = values["api-key"] ?? env["POSTWIRE_API_KEY"];
  if (!key) throw new UsageError("--api-key (or POSTWIRE_API_KEY) is required: an admin or operator key");
  const secret = values.fire ? secretOf(values.secret, env) : undefined;
  if (values.fire && !secret)
    throw new UsageError("--fire needs the operator's secret: --secret or POSTWIRE_SECRET");
  if (!values.fire && values.secret !== undefined) throw new UsageError("--secret applies to --fire only");
  const api = apiClient(baseUrlOf(values.url, env), key, io);
  if (values.reset) await api("POST", `/v1/programs/${programId}/checklist/reset`);
  if (secret) await fire(api, baseUrlOf(values.url, env), programId, secret, io);
  const checklist = (await api("GET", `/v1/programs/${programId}/checklist`)) as ChecklistJson;
  if (values.json) io.out(JSON.stringify(checklist, null, 2));
  else {
    io.out(`Program ${checklist.program_id}: ${checklist.ready ? "READY to go live" : "not ready yet"}`);
    for (const item of checklist.items) {
      const fields = item.required_fields ? ` (${item.required_fields.join(", ")})` : "";
      io.out(`${MARK[item.state] ?? item.state} ${item.title}${fields}`);
      if (item.state === "missing") io.out(`    ${item.hint}`);
    }
  }
  return checklist.ready ? 0 : 1;
}

type Api = (method: string, path: string) => Promise<unknown>;

/** A JSON client of the admin API; a non-2xx or an unreachable service ends the command (exit 1). */
function apiClient(baseUrl: string, key: string, io: CliIo): Api {
  return async (method, path) => {
    let response: Response;
    try {
      response = await io.fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
    } catch (error) {
      throw new CheckFailed(`could not reach ${baseUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw new CheckFailed(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
}

/** The command cannot go on (the service refused or is unreachable): exit 1 with the reason. */
export class CheckFailed extends Error {}

/** The test postbacks an operator sends to tick every item of the checklist. */
async function fire(
  api: Api,
  baseUrl: string,
  programId: number,
  secret: Uint8Array,
  io: CliIo,
): Promise<void> {
  const program = (await api("GET", `/v1/programs/${programId}`)) as {
    operator_id: number;
    currency: string;
    allowed_events: string[];
  };
  const operator = (await api("GET", `/v1/operators/${program.operator_id}`)) as { key: string };
  const run = `golive-${io.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  const spec = (method: "GET" | "POST", txid: string, params: Array<[string, string]>): PostbackSpec => ({
    baseUrl,
    operatorKey: operator.key,
    method,
    format: "json",
    txid,
    params: [["txid", txid], ...params, ["program_id", String(programId)], ["test", "1"]],
  });
  const signing = () => ({ secret, timestamp: String(Math.floor(io.now() / 1000)) });
  const send = async (label: string, request: Request): Promise<void> => {
    const response = await io.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    io.out(
      `sent ${label}: ${response.status} ${(JSON.parse(await response.text()) as { code: string }).code}`,
    );
  };
  const fieldsOf = (event: string): Array<[string, string]> => {
    const rule = eventRule(event);
    return [
      ["event", event],
      ["player_id", `${run}-player`],
      ...(rule.requiresAmount
        ? ([
            ["amount", "100"],
            ["currency", program.currency],
          ] as Array<[string, string]>)
        : []),
      ...(rule.requiresLots ? ([["lots", "1"]] as Array<[string, string]>) : []),
    ];
  };
  const plain = program.allowed_events.filter((e) => !eventRule(e).isReversal);
  const reversals = program.allowed_events.filter((e) => eventRule(e).isReversal);
  let original: { txid: string; amount: boolean } | undefined;
  let first: PostbackSpec | undefined;
  for (const event of plain) {
    const txid = `${run}-${event}`;
    const s = spec("GET", txid, fieldsOf(event));
    first ??= s;
    if (!original || (!original.amount && eventRule(event).requiresAmount))
      original = { txid, amount: eventRule(event).requiresAmount };
    await send(`${event} (signed GET)`, postbackRequest(s, signing()));
  }
  if (first) await send("the same again (retry)", postbackRequest(first, signing()));
  for (const event of reversals) {
    if (!original) break;
    const amount: Array<[string, string]> = original.amount
      ? [
          ["amount", "1"],
          ["currency", program.currency],
        ]
      : [];
    const s = spec("GET", `${run}-${event}`, [["event", event], ["reverses", original.txid], ...amount]);
    await send(`${event} of ${original.txid} (signed GET)`, postbackRequest(s, signing()));
  }
  const post = spec("POST", `${run}-post`, fieldsOf(plain[0] ?? "registration"));
  await send(`${plain[0] ?? "registration"} (signed POST)`, postbackRequest(post, signing()));
  const wrong = new Uint8Array(randomBytes(32));
  const bad = spec("GET", `${run}-wrong-signature`, fieldsOf(plain[0] ?? "registration"));
  await send(
    `a wrong signature (${encodeSecret(wrong).slice(0, 10)}…)`,
    postbackRequest(bad, { secret: wrong, timestamp: String(Math.floor(io.now() / 1000)) }),
  );
}
