/**
 * Closed-loop peak throughput with wrk (one thread, pinned to the load generator's core, keep-alive
 * connections), driven by wrk-script.lua, which cycles through a file of paths and counts answers.
 */
import path from "node:path";
import { runPinned } from "./processes.ts";

const SCRIPT = path.join(import.meta.dirname, "wrk-script.lua");

export const WRK_HINT = "Install it with: apt-get update && apt-get install -y wrk";

export interface WrkResult {
  readonly requests: number;
  readonly duration_us: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  readonly max_us: number;
  readonly socket_errors: {
    readonly connect: number;
    readonly read: number;
    readonly write: number;
    readonly timeout: number;
    readonly status: number;
  };
  /** Requests written (request() calls); `sent - requests` were still in flight at the end. */
  readonly sent: number;
  readonly paths: number;
  /** Times the path list ran out and started over (repeated txids): the run is invalid. */
  readonly wrapped: number;
  readonly ok: number;
  readonly unexpected: number;
  readonly last_bad_status: number;
  /** Postbacks only: 200 answers with code "accepted", and those with attributed: true. */
  readonly accepted: number;
  readonly attributed: number;
}

export interface WrkRun {
  readonly core: number;
  readonly url: string;
  readonly pathsFile: string;
  readonly expectedStatus: number;
  readonly mode: "plain" | "postback";
  readonly connections: number;
  readonly seconds: number;
}

export async function runWrk(
  run: WrkRun,
): Promise<WrkResult & { readonly rps: number; readonly cpuSeconds: number }> {
  const args = [
    "wrk",
    "-t1",
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    "--timeout",
    "5s",
    "-s",
    SCRIPT,
    run.url,
    "--",
    run.pathsFile,
    String(run.expectedStatus),
    run.mode,
  ];
  const { stdout, cpuSeconds } = await runPinned(run.core, args, (run.seconds + 60) * 1000);
  const line = stdout
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const result = JSON.parse(line) as WrkResult;
  return { ...result, rps: result.requests / (result.duration_us / 1e6), cpuSeconds };
}

/** Everything that makes a run invalid, as readable reasons (empty when valid). */
export function wrkProblems(result: WrkResult, mode: WrkRun["mode"]): string[] {
  const problems: string[] = [];
  const e = result.socket_errors;
  const socket = e.connect + e.read + e.write + e.timeout;
  if (socket) problems.push(`${socket} socket errors (${JSON.stringify(e)})`);
  if (result.unexpected) {
    problems.push(`${result.unexpected} unexpected answers (last status ${result.last_bad_status})`);
  }
  // Clicks and the bare server cycle through their paths on purpose; postbacks need fresh txids.
  if (result.wrapped && mode === "postback")
    problems.push(`ran out of fresh request paths ${result.wrapped} times`);
  if (result.requests === 0) problems.push("no requests completed");
  return problems;
}
