/**
 * Child processes of the benchmark, pinned to a core with `taskset`, bounded in time and tracked so
 * that an error or Ctrl-C never leaves one running.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";

const live = new Set<ChildProcess>();
/** Children started as leaders of their own process group: signals go to the whole group. */
const groups = new WeakSet<ChildProcess>();

/** Fails with an install hint when a needed tool is missing. */
export function requireTool(name: string, hint: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${name} is not installed. ${hint}`);
  }
}

export interface Started<T> {
  readonly child: ChildProcess;
  readonly info: T;
  /** Everything the child wrote to stderr so far (for error reports). */
  stderr(): string;
}

/**
 * Starts `args` pinned to `core` and waits (at most `timeoutMs`) for its first stdout line, parsed
 * as JSON. The child is killed if it does not get there.
 */
export function startPinned<T>(
  core: number,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<Started<T>> {
  const child = spawn("taskset", ["-c", String(core), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      void stopChild(child);
      reject(new Error(`${args.join(" ")}: ${why}\n${err}`));
    };
    const timer = setTimeout(() => fail(`no start-up line within ${timeoutMs} ms`), timeoutMs);
    child.once("exit", (code, signal) => fail(`exited early (${code ?? signal})`));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline === -1) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.once("exit", () => live.delete(child));
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      try {
        resolve({ child, info: JSON.parse(out.slice(0, newline)) as T, stderr: () => err });
      } catch (error) {
        fail(`bad start-up line: ${(error as Error).message}`);
      }
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signal(child, "SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    signal(child, "SIGTERM");
  });
}

/** Runs a command, then has the shell print its children's CPU times ("0m1.23s 0m0.45s"). */
const TIMED = '"$@"; status=$?; times >&2; exit $status';

/** User + system seconds from the last line of the shell's `times` output. */
function childCpuSeconds(stderr: string): number {
  const last = stderr.trim().split("\n").pop() ?? "";
  const times = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return times.length === 2 ? times[0]! + times[1]! : Number.NaN;
}

/**
 * Runs `args` pinned to `core` to completion (killed after `timeoutMs`); resolves with stdout,
 * stderr and the CPU seconds it used; rejects on a non-zero exit.
 */
export function runPinned(
  core: number,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string; cpuSeconds: number }> {
  const child = spawn("taskset", ["-c", String(core), "sh", "-c", TIMED, "sh", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a timeout kills the command and not only the shell.
    detached: true,
  });
  live.add(child);
  groups.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const timer = setTimeout(() => signal(child, "SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (code === 0) resolve({ stdout, stderr, cpuSeconds: childCpuSeconds(stderr) });
      else
        reject(new Error(`${args.join(" ")} failed (${code ?? signal}):\n${stderr}${stdout.slice(-2000)}`));
    });
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (groups.has(child) && child.pid) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    // Already gone.
  }
}

/** Kills every child still running (cleanup on error or Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, 2_000)));
}
