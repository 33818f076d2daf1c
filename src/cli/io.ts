/**
 * What the CLI touches outside itself, injectable so tests run commands in-process and read their
 * output: stdout/stderr lines, the HTTP client, the clock, and files.
 */
import { readFileSync } from "node:fs";
import type { ProgressSink } from "./progress.ts";

export interface CliIo {
  /** One line (or block) to standard output. */
  out(text: string): void;
  /** One line (or block) to standard error. */
  err(text: string): void;
  readonly fetch: typeof fetch;
  /** Epoch milliseconds. */
  now(): number;
  /** A file's bytes; `-` is standard input. */
  readFile(file: string): Buffer;
  /** Where progress bars go (standard error); absent: plain lines through `err`. */
  readonly progress?: ProgressSink;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  fetch: (input, init) => fetch(input, init),
  now: () => Date.now(),
  readFile: (file) => readFileSync(file === "-" ? 0 : file),
  progress: { tty: Boolean(process.stderr.isTTY), write: (text) => void process.stderr.write(text) },
};

/** A mistake in how the command was called: reported with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** node:util parseArgs reports unknown options and missing values with these codes. */
export function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/** A `--name` option holding a positive integer id or count; undefined when not given. */
export function positiveIntOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(text))
    throw new UsageError(`--${name} must be a positive integer, got "${text}"`);
  return Number(text);
}
