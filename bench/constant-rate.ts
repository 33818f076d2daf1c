/**
 * Open-loop, constant-rate load generator (what wrk2 does; Debian's wrk has no rate limit).
 *
 * Sends GET requests at a fixed rate over keep-alive connections regardless of how fast answers
 * come back, and records each request's latency from the moment it was *due* (so a stalled server
 * is not hidden by requests that were never sent: no coordinated omission), and also from when it
 * was actually written. A lead-in (not recorded) opens the connections first. Prints one JSON line.
 *
 * node bench/constant-rate.ts --url http://127.0.0.1:PORT --rate 2000 --seconds 10 \
 *   --kind postback|click --target '{"operatorKey":…,"secret":…,"clickId":…,"linkCode":…}'
 */
import { Agent, request } from "node:http";
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
    "lead-in": { type: "string", default: "1" },
    kind: { type: "string", default: "click" },
    target: { type: "string" },
    connections: { type: "string", default: "64" },
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
const agent = new Agent({ keepAlive: true, maxSockets: Number(values.connections), scheduling: "fifo" });

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

function send(i: number): void {
  const due = start + i * intervalMs;
  const written = performance.now();
  const finish = (good: boolean) => {
    const now = performance.now();
    if (good && i >= skip) {
      dueLatency[completed] = now - due;
      sendLatency[completed] = now - written;
      completed++;
      firstRecordedDone = Math.min(firstRecordedDone, now);
      lastRecordedDone = Math.max(lastRecordedDone, now);
    }
    pending--;
  };
  pending++;
  const req = request(
    { agent, host: base.hostname, port: base.port, path: paths[i % paths.length], method: "GET" },
    (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        if (kind === "postback") chunks.push(chunk);
      });
      res.on("end", () => {
        const good = res.statusCode === expected;
        if (good) ok++;
        else {
          unexpected++;
          lastBadStatus = res.statusCode ?? 0;
        }
        if (kind === "postback" && Buffer.concat(chunks).toString().includes('"code":"accepted"')) accepted++;
        finish(good);
      });
    },
  );
  req.on("error", () => {
    errors++;
    finish(false);
  });
  req.end();
}

function tick(): void {
  const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
  while (next < due) send(next++);
  if (next < total) setTimeout(tick, 1);
  else waitForAnswers(performance.now() + 10_000);
}

function waitForAnswers(deadline: number): void {
  if (pending > 0 && performance.now() < deadline) {
    setTimeout(() => waitForAnswers(deadline), 5);
    return;
  }
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
  agent.destroy();
  process.exit(0);
}

setTimeout(tick, Math.max(0, start - performance.now()));
