/**
 * Postwire as a real process (`postwire serve`, Node 24 as the tests run on), for what only a
 * process can show: that it does not exit, a SIGKILL, workers sharing a listener, a graceful stop.
 * Its log lines (JSON) are kept; every process started here is killed when the test process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { eventually } from "./eventually.ts";

const MAIN = path.join(import.meta.dirname, "../../src/cli/main.ts");
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface PostwireProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Log lines so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Whether it is still running. */
  alive(): boolean;
}

/** A free TCP port on 127.0.0.1 (released at once: a process started next takes it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `postwire serve …args` on `port` with `env`, and waits until /readyz answers 200. */
export async function startPostwire(
  port: number,
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<PostwireProcess> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let rest = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => logs.push({ stderr: chunk }));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    }),
  );
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (ended) throw new Error(`postwire exited at start: ${JSON.stringify(logs.slice(-5))}`);
      try {
        return (await fetch(`${url}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, everyMs: 50, what: `postwire on port ${port} to be ready` },
  );
  return { url, child, logs, exited, alive: () => !ended };
}
