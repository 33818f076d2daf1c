/**
 * Code taken from docs/integration.md as it is, saved and run with its language's toolchain. A
 * snippet is the fenced block right after a `<!-- snippet: name -->` line. A toolchain missing
 * locally skips the test with a message; in CI (CI=true) it fails it (.ci/run installs them).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";

const exec = promisify(execFile);
const GUIDE = readFileSync(new URL("../../docs/integration.md", import.meta.url), "utf8");

/** The code block that follows `<!-- snippet: name -->` in the guide. */
export function snippet(name: string): string {
  const match = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(GUIDE);
  assert.ok(match, `docs/integration.md has a snippet marked ${name}`);
  return `${match[1]}\n`;
}

export type Toolchain = "node" | "python" | "php" | "go";

const EXTENSIONS: Record<Toolchain, string> = { node: "mjs", python: "py", php: "php", go: "go" };

/** What prints a version (or, for Python, the interpreter's own path) when the toolchain is there. */
const PROBES: Record<Toolchain, readonly string[]> = {
  node: [process.execPath, "--version"],
  // The interpreter itself: a version manager's shim (pyenv) adds a second to every start.
  python: ["python3", "-c", "import sys; print(sys.executable)"],
  php: ["php", "--version"],
  go: ["go", "version"],
};

async function probe(command: readonly string[]): Promise<string | undefined> {
  try {
    return (await exec(command[0]!, command.slice(1), { timeout: 30_000 })).stdout;
  } catch {
    return undefined;
  }
}

/**
 * Saves `source` as `<dir>/<name>.<ext>` and returns the command that runs it (Go: built once),
 * or undefined after skipping the test when the toolchain is missing locally.
 */
export async function runnable(
  ctx: TestContext,
  toolchain: Toolchain,
  dir: string,
  name: string,
  source: string,
): Promise<string[] | undefined> {
  const probed = await probe(PROBES[toolchain]);
  if (probed === undefined) {
    const message = `${PROBES[toolchain][0]} is not installed (Debian: apt-get install php-cli golang-go)`;
    assert.notEqual(process.env["CI"], "true", `${message}; CI runs every snippet (.ci/run installs them)`);
    ctx.skip(message);
    return undefined;
  }
  const file = path.join(dir, `${name}.${EXTENSIONS[toolchain]}`);
  writeFileSync(file, source);
  switch (toolchain) {
    case "node":
      return [process.execPath, file];
    case "python":
      return [probed.trim(), file];
    case "php":
      return ["php", file];
    case "go": {
      const binary = path.join(dir, name);
      const env = {
        ...process.env,
        GOCACHE: path.join(tmpdir(), "postwire-snippets-go-cache"),
        GOPATH: path.join(dir, "gopath"),
        CGO_ENABLED: "0",
      };
      await exec("go", ["build", "-o", binary, file], { env, timeout: 120_000 });
      return [binary];
    }
  }
}

export interface Run {
  readonly exit: number;
  readonly stdout: string;
}

/** Runs the command with `args` and only PATH plus `env` in its environment; a non-zero exit is returned, not thrown. */
export async function runCommand(
  command: readonly string[],
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return exec(command[0]!, [...command.slice(1), ...args], {
    env: { PATH: process.env["PATH"], ...env },
    timeout: 60_000,
  }).then(
    ({ stdout }) => ({ exit: 0, stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => {
      assert.equal(typeof error.code, "number", `${command[0]} failed to run: ${error.stderr}`);
      return { exit: error.code!, stdout: error.stdout ?? "" };
    },
  );
}
