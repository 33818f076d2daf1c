/** Runs a `postwire` command in-process through runCli, capturing what it prints. */
import { readFileSync } from "node:fs";
import type { CliIo } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/postwire.ts";

export async function runPostwire(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    readFile: (file) => readFileSync(file),
  };
  const code = await runCli(argv, env, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
