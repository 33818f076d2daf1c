/**
 * `postwire serve` in a child process, started as an operator starts it (src/cli/main.ts on the
 * project's Node), with its stdout collected: the JSON log lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { until } from "./until.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The URL of its start log line. */
  readonly url: string;
  /** Everything it wrote to stdout so far. */
  output(): string;
  /** The first JSON log line whose `msg` is `msg`. */
  logLine(msg: string): Record<string, unknown> | undefined;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

/** Starts it on 127.0.0.1 and a free port unless `env` says otherwise; resolves once it listens. */
export async function spawnServe(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(NODE, [path.join(ROOT, "src/cli/main.ts"), "serve"], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const logLine = (msg: string) =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line["msg"] === msg);
  const url = await until(() => {
    if (child.exitCode !== null) throw new Error(`postwire serve exited (${child.exitCode}):\n${output}`);
    return logLine("postwire listening")?.["url"] as string | undefined;
  }, "postwire serve to listen");
  return {
    child,
    url,
    output: () => output,
    logLine,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
