/**
 * `postwire reconcile upload|show|backfill` (docs/reconciliation.md), over the admin API with an
 * admin key or the operator's own: upload streams the file (never read whole) with a progress bar
 * on a terminal, show prints a run's summary or one category's rows (or its CSV), backfill ingests
 * the missing rows in chunks through the postback pipeline.
 */
import { createReadStream, statSync } from "node:fs";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { type CliIo, positiveIntOption, UsageError } from "./io.ts";
import { bytesText, type ProgressSink, progressBar } from "./progress.ts";
import type { Env } from "./signing-options.ts";

export const RECONCILE_USAGE = `Usage:
  postwire reconcile upload FILE --from ISO --to ISO [--operator ID] [--format csv|jsonl]
                                 [--column THEIRS=OURS ...] [--json]
  postwire reconcile show ID [--category C] [--csv] [--json]
  postwire reconcile backfill ID [--txid TXID ...] [--json]
Common: --url URL (default: $PUBLIC_URL or http://localhost:8080), --api-key KEY (default:
$POSTWIRE_API_KEY): an admin key (then --operator is required for upload) or the operator's own.
Categories: matched, missing, extra, mismatched, malformed, duplicate, test.`;

const OPTIONS = {
  url: { type: "string" },
  "api-key": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  operator: { type: "string" },
  format: { type: "string" },
  column: { type: "string", multiple: true, default: [] as string[] },
  category: { type: "string" },
  csv: { type: "boolean", default: false },
  txid: { type: "string", multiple: true, default: [] as string[] },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON, printed field by field
type Json = any;

interface Api {
  call(method: string, path: string, body?: unknown): Promise<Json>;
  readonly baseUrl: string;
  readonly key: string;
}

function apiOf(values: Values, env: Env, io: CliIo): Api {
  const fallback = env["PUBLIC_URL"]?.trim() || "http://localhost:8080";
  const baseUrl = (values.url ?? fallback).trim().replace(/\/+$/, "");
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol))
    throw new UsageError(`--url must be an http(s) URL such as http://localhost:8080, got "${baseUrl}"`);
  const key = values["api-key"] ?? env["POSTWIRE_API_KEY"];
  if (!key) throw new UsageError("--api-key (or POSTWIRE_API_KEY) is required: an admin or operator key");
  return {
    baseUrl,
    key,
    async call(method, path, body) {
      const response = await io.fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return answerOf(response);
    },
  };
}

async function answerOf(response: Response): Promise<Json> {
  const text = await response.text();
  let body: Json = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below as it is.
  }
  if (!response.ok) {
    const why = body?.code ? `${body.code}: ${body.message}` : text.slice(0, 500);
    throw new Error(`the service answered ${response.status} (${why})`);
  }
  return body;
}

/** Progress to the sink the process has, else plain lines through `io.err`. */
const sinkOf = (io: CliIo): ProgressSink =>
  io.progress ?? { tty: false, write: (text) => io.err(text.replace(/\n$/, "")) };

const CATEGORIES = ["matched", "missing", "extra", "mismatched", "malformed", "duplicate", "test"];

/** What a person reads of a run: the period, the file, the counts, the summary per day. */
export function runSummary(run: Json): string[] {
  const lines = [
    `Reconciliation ${run.id}: operator ${run.operator_id}, ${run.from} to ${run.to}, ${run.status}`,
    `File: ${run.format}, ${run.file_bytes} bytes, sha256 ${run.file_sha256 || "-"}`,
  ];
  if (run.error) lines.push(`Error: ${run.error}`);
  lines.push(CATEGORIES.map((c) => `${c} ${run.counts[c]}`).join(" · "));
  if (run.summary.length) {
    const shown = ["matched", "missing", "extra", "mismatched"];
    lines.push(["day       ", "event".padEnd(20), ...shown.map((c) => c.padStart(10))].join(" "));
    for (const s of run.summary)
      lines.push(
        [s.day, String(s.event).padEnd(20), ...shown.map((c) => String(s.counts[c]).padStart(10))].join(" "),
      );
  }
  return lines;
}

async function upload(values: Values, file: string, api: Api, io: CliIo): Promise<number> {
  if (!values.from || !values.to) throw new UsageError("--from and --to are required (ISO 8601 times)");
  const query = new URLSearchParams({ from: values.from, to: values.to });
  const operator = positiveIntOption("operator", values.operator);
  if (operator !== undefined) query.set("operator_id", String(operator));
  const format = values.format ?? (/\.(jsonl|ndjson)$/i.test(file) ? "jsonl" : "csv");
  if (format !== "csv" && format !== "jsonl")
    throw new UsageError(`--format must be csv or jsonl, got "${format}"`);
  query.set("format", format);
  if (values.column.length) {
    const columns: Record<string, string> = {};
    for (const entry of values.column) {
      const eq = entry.indexOf("=");
      if (eq < 1) throw new UsageError(`--column must be THEIRS=OURS (e.g. btag=click_id), got "${entry}"`);
      columns[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    query.set("columns", JSON.stringify(columns));
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const bar = progressBar(sinkOf(io), `Uploading ${file}`, size, bytesText);
  let sent = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(file)) {
      sent += (chunk as Buffer).length;
      bar.update(sent);
      yield chunk as Buffer;
    }
  }
  const response = await io.fetch(`${api.baseUrl}/v1/reconciliations?${query}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${api.key}`,
      "content-type": format === "csv" ? "text/csv" : "application/x-ndjson",
    },
    body: ReadableStream.from(chunks()),
    duplex: "half",
  } as RequestInit);
  bar.finish();
  const run = await answerOf(response);
  if (values.json) io.out(JSON.stringify(run));
  else {
    for (const line of runSummary(run)) io.out(line);
    io.out(
      `Next: postwire reconcile show ${run.id} --category missing; postwire reconcile backfill ${run.id}`,
    );
  }
  return 0;
}

/** Every row of a category, page by page. */
async function allRows(api: Api, id: string, category: string): Promise<Json[]> {
  const rows: Json[] = [];
  for (let cursor: string | null = ""; cursor !== null; ) {
    const page: Json = await api.call(
      "GET",
      `/v1/reconciliations/${encodeURIComponent(id)}/rows?category=${category}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    rows.push(...page.data);
    cursor = page.next_cursor;
  }
  return rows;
}

async function show(values: Values, id: string, api: Api, io: CliIo): Promise<number> {
  const category = values.category;
  if (category !== undefined && !CATEGORIES.includes(category))
    throw new UsageError(`--category must be one of ${CATEGORIES.join(", ")}`);
  const path = `/v1/reconciliations/${encodeURIComponent(id)}`;
  if (values.csv) {
    const response = await io.fetch(
      `${api.baseUrl}${path}/rows.csv${category ? `?category=${category}` : ""}`,
      {
        headers: { authorization: `Bearer ${api.key}` },
      },
    );
    if (!response.ok) await answerOf(response);
    io.out((await response.text()).trimEnd());
    return 0;
  }
  if (!category) {
    const run = await api.call("GET", path);
    if (values.json) io.out(JSON.stringify(run));
    else for (const line of runSummary(run)) io.out(line);
    return 0;
  }
  const rows = await allRows(api, id, category);
  if (values.json) io.out(JSON.stringify(rows));
  else
    for (const r of rows) {
      const differences = r.differences
        ?.map((d: Json) => `${d.field}: file ${d.file ?? "-"}, received ${d.received ?? "-"}`)
        .join("; ");
      const where = r.line === null ? "" : `line ${r.line} `;
      io.out(
        `${where}${r.txid ?? "-"} ${r.event ?? ""} ${r.occurred_at ?? ""} ${differences ?? r.error ?? ""}`.trim(),
      );
    }
  return 0;
}

/** Txids sent per backfill call: each call is one short request, and the bar moves between them. */
const BACKFILL_CHUNK = 200;

async function backfill(values: Values, id: string, api: Api, io: CliIo): Promise<number> {
  const settled = new Set(["accepted", "duplicate"]);
  const txids = values.txid.length
    ? values.txid
    : (await allRows(api, id, "missing"))
        .filter((r) => !settled.has(r.backfill_code))
        .map((r) => r.txid as string);
  const outcomes: Record<string, number> = {};
  let alreadyDone = 0;
  const bar = progressBar(sinkOf(io), "Backfilling", txids.length, (n) => `${n} rows`);
  for (let start = 0; start < txids.length; start += BACKFILL_CHUNK) {
    const part = txids.slice(start, start + BACKFILL_CHUNK);
    const result = await api.call("POST", `/v1/reconciliations/${encodeURIComponent(id)}/backfill`, {
      txids: part,
    });
    for (const [code, n] of Object.entries(result.outcomes as Record<string, number>))
      outcomes[code] = (outcomes[code] ?? 0) + n;
    alreadyDone += result.already_done;
    bar.update(start + part.length);
  }
  bar.finish();
  const attempted = Object.values(outcomes).reduce((a, b) => a + b, 0);
  if (values.json)
    io.out(JSON.stringify({ reconciliation_id: id, attempted, outcomes, already_done: alreadyDone }));
  else {
    io.out(`Backfill of ${id}: ${attempted} rows ingested, ${alreadyDone} already done`);
    for (const [code, n] of Object.entries(outcomes)) io.out(`  ${code}: ${n}`);
    if (Object.keys(outcomes).some((code) => !settled.has(code)))
      io.out(`Refused rows keep their code: postwire reconcile show ${id} --category missing`);
  }
  return Object.keys(outcomes).every((code) => settled.has(code)) ? 0 : 1;
}

export async function reconcileCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  if (values.help) {
    io.out(RECONCILE_USAGE);
    return 0;
  }
  const [sub, target, ...rest] = positionals;
  if (!sub || !target || rest.length || !["upload", "show", "backfill"].includes(sub))
    throw new UsageError(
      `expected "reconcile upload FILE", "reconcile show ID" or "reconcile backfill ID"\n${RECONCILE_USAGE}`,
    );
  const api = apiOf(values, env, io);
  if (sub === "upload") return upload(values, target, api, io);
  if (sub === "show") return show(values, target, api, io);
  return backfill(values, target, api, io);
}
