/**
 * Open-loop, constant-rate load generator (what wrk2 does; Debian's wrk has no rate limit).
 *
 * Sends GET requests at a fixed rate over keep-alive connections regardless of how fast answers
 * come back, and records each request's latency from the moment it was *due* (so a stalled server
 * is not hidden by requests that were never sent: no coordinated omission), and also from when it
 * was actually written. A request due while every connection waits for an answer queues here, its
 * clock running. A lead-in at the same rate (not recorded, `--lead-in`, 3 s by default) lets the
 * server settle after the step from idle to this rate (the first ~1.5 s are a transient:
 * bench/README.md). Prints one JSON line.
 *
 * It speaks HTTP/1.1 over plain sockets with a minimal response reader (status line,
 * Content-Length, no chunking, no pipelining): node:http's client costs tens of µs per request,
 * enough to add milliseconds of its own to the latency it is meant to measure. Requests are
 * timed by a 1 ms timer, so a request may be written up to about 1 ms after it was due.
 *
 * node bench/constant-rate.ts --url http://127.0.0.1:PORT --rate 2000 --seconds 10 \
 *   --kind postback|click --target '{"operatorKey":…,"secret":…,"clickId":…,"linkCode":…}'
 *   [--lead-in S] [--timeline FILE]   every recorded request as CSV: due (Unix ms), latency from due, from write
 */
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { clickPaths, postbackPaths } from "./requests.ts";
import { percentile } from "./stats.ts";

export interface ConstantRateResult {
  readonly rate: number;
  readonly seconds: number;
  /** Recorded requests (after the lead-in). */
  readonly recorded: number;
  readonly completed: number;
  readonly achievedRps: number;
  readonly ok: number;
  readonly unexpected: number;
  readonly lastBadStatus: number;
  readonly errors: number;
  readonly unfinished: number;
  /** Postbacks, all requests including the lead-in: 200 answers with code "accepted". */
  readonly accepted: number;
  /** All requests sent, lead-in included (what the database should hold for postbacks). */
  readonly sentTotal: number;
  /** Latency from when each request was due (ms). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Latency from when each request was actually written (ms). */
  readonly sendP50: number;
  readonly sendP99: number;
}

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string", default: "10" },
    "lead-in": { type: "string", default: "3" },
    kind: { type: "string", default: "click" },
    target: { type: "string" },
    connections: { type: "string", default: "64" },
    timeline: { type: "string" },
  },
});

const rate = Number(values.rate);
const seconds = Number(values.seconds);
const leadIn = Number(values["lead-in"]);
if (!values.url || !(rate > 0) || !(seconds > 0) || !values.target) {
  throw new Error("usage: --url URL --rate N --seconds S --kind postback|click --target JSON");
}
const kind = values.kind === "postback" ? "postback" : "click";
const target = JSON.parse(values.target) as {
  operatorKey: string;
  secret: string;
  clickId: string;
  linkCode: string;
};
const base = new URL(values.url);
const skip = Math.round(rate * leadIn);
const total = skip + Math.round(rate * seconds);
const paths =
  kind === "postback"
    ? postbackPaths(target, total, `cr${Date.now().toString(36)}`)
    : clickPaths(target.linkCode);
const expected = kind === "postback" ? 200 : 302;
const host = `${base.hostname}:${base.port}`;
const wire = paths.map((p) =>
  Buffer.from(`GET ${p} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: postwire-bench\r\n\r\n`, "latin1"),
);

const dueAt = new Float64Array(total - skip);
const dueLatency = new Float64Array(total - skip);
const sendLatency = new Float64Array(total - skip);
let completed = 0;
let ok = 0;
let unexpected = 0;
let lastBadStatus = 0;
let errors = 0;
let accepted = 0;
let firstRecordedDone = Number.POSITIVE_INFINITY;
let lastRecordedDone = 0;
let next = 0;
let pending = 0;

const intervalMs = 1000 / rate;
const start = performance.now() + 20;
const dueOf = (i: number) => start + i * intervalMs;

function finish(i: number, written: number, status: number, body: string): void {
  const now = performance.now();
  pending--;
  const good = status === expected;
  if (good) ok++;
  else {
    unexpected++;
    lastBadStatus = status;
  }
  if (kind === "postback" && body.includes('"code":"accepted"')) accepted++;
  if (good && i >= skip) {
    dueAt[completed] = dueOf(i);
    dueLatency[completed] = now - dueOf(i);
    sendLatency[completed] = now - written;
    completed++;
    firstRecordedDone = Math.min(firstRecordedDone, now);
    lastRecordedDone = Math.max(lastRecordedDone, now);
  }
}

/** One keep-alive connection carrying one request at a time. */
class Connection {
  private readonly socket: Socket;
  private buffer = "";
  private current: { i: number; written: number } | undefined;
  closed = false;

  constructor(onReady: (c: Connection) => void) {
    this.socket = connect({ host: base.hostname, port: Number(base.port), noDelay: true });
    this.socket.setEncoding("latin1");
    this.socket.on("connect", () => onReady(this));
    this.socket.on("data", (chunk: string) => this.read(chunk));
    const fail = () => {
      if (this.closed) return;
      this.closed = true;
      if (this.current) {
        errors++;
        pending--;
        this.current = undefined;
      }
      replace(this);
    };
    this.socket.on("error", fail);
    this.socket.on("close", fail);
    // The server ends idle keep-alive connections: stop using one as soon as it says so.
    this.socket.on("end", fail);
  }

  send(i: number): void {
    this.current = { i, written: performance.now() };
    this.socket.write(wire[i % wire.length]!);
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    const headEnd = this.buffer.indexOf("\r\n\r\n");
    if (headEnd === -1 || !this.current) return;
    const head = this.buffer.slice(0, headEnd);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < headEnd + 4 + length) return;
    const body = this.buffer.slice(headEnd + 4, headEnd + 4 + length);
    this.buffer = this.buffer.slice(headEnd + 4 + length);
    const { i, written } = this.current;
    this.current = undefined;
    finish(i, written, Number(head.slice(9, 12)), body);
    idle.push(this);
    dispatch();
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

const connections = Number(values.connections);
const idle: Connection[] = [];
const all = new Set<Connection>();
/** Requests that are due but wait for a free connection. */
const waiting: number[] = [];
let waitingHead = 0;

function open(): void {
  const connection = new Connection((c) => {
    idle.push(c);
    dispatch();
  });
  all.add(connection);
}

function replace(connection: Connection): void {
  all.delete(connection);
  const at = idle.indexOf(connection);
  if (at !== -1) idle.splice(at, 1);
  if (next < total) open();
}

function dispatch(): void {
  while (waitingHead < waiting.length && idle.length > 0) {
    // Oldest idle first (round robin): every connection stays busy enough that the server's
    // keep-alive timeout never closes one under a request about to be written.
    const connection = idle.shift()!;
    if (connection.closed) continue;
    connection.send(waiting[waitingHead++]!);
  }
}

function tick(): void {
  const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
  while (next < due) {
    waiting.push(next++);
    pending++;
  }
  dispatch();
  if (next < total) setTimeout(tick, 1);
  else waitForAnswers(performance.now() + 10_000);
}

/** Every recorded request in due order, as Unix ms (to line up with a server-side trace). */
function writeTimeline(file: string): void {
  const order = Array.from({ length: completed }, (_, k) => k).sort((a, b) => dueAt[a]! - dueAt[b]!);
  const lines = ["due_unix_ms,latency_ms,sent_latency_ms"];
  for (const k of order) {
    const due = performance.timeOrigin + dueAt[k]!;
    lines.push(`${due.toFixed(3)},${dueLatency[k]!.toFixed(3)},${sendLatency[k]!.toFixed(3)}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

function waitForAnswers(deadline: number): void {
  if (pending > 0 && performance.now() < deadline) {
    setTimeout(() => waitForAnswers(deadline), 5);
    return;
  }
  if (values.timeline) writeTimeline(values.timeline);
  const due = dueLatency.subarray(0, completed).sort();
  const sent = sendLatency.subarray(0, completed).sort();
  const result: ConstantRateResult = {
    rate,
    seconds,
    recorded: total - skip,
    completed,
    achievedRps: completed > 1 ? (completed - 1) / ((lastRecordedDone - firstRecordedDone) / 1000) : 0,
    ok,
    unexpected,
    lastBadStatus,
    errors,
    unfinished: pending,
    accepted,
    sentTotal: total,
    p50: percentile(due, 50),
    p90: percentile(due, 90),
    p99: percentile(due, 99),
    p999: percentile(due, 99.9),
    max: percentile(due, 100),
    sendP50: percentile(sent, 50),
    sendP99: percentile(sent, 99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const connection of all) connection.close();
  process.exit(0);
}

for (let c = 0; c < connections; c++) open();
setTimeout(tick, Math.max(0, start - performance.now()));
