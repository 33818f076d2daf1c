/**
 * An operator's list of events (docs/reconciliation.md) read as it streams, never whole: CSV
 * (RFC 4180, quoted newlines included, by csv-parse) with a header row, or JSON lines (one object a
 * line). Bytes are hashed (SHA-256) and decoded as strict UTF-8 as they arrive: a byte order mark
 * is dropped, a file in another encoding is refused (`invalid_encoding`) rather than compared with
 * garbled ids. A row that cannot be read is reported with its line, and reading goes on.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { TextDecoder } from "node:util";
import { parse } from "csv-parse";
import type { EventFile, FileRow } from "../../app/reconcile/reconcile-events.ts";
import { PostwireError } from "../../domain/errors.ts";

export const FILE_FORMATS = ["csv", "jsonl"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

type Pairs = Array<readonly [string, string]>;

export function readEventFile(
  source: AsyncIterable<Uint8Array>,
  format: FileFormat,
  maxBytes: number,
): EventFile {
  const hash = createHash("sha256");
  let bytes = 0;
  async function* text(): AsyncGenerator<string> {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        throw new PostwireError("payload_too_large", `The file is larger than ${maxBytes} bytes.`);
      hash.update(chunk);
      yield decode(decoder, chunk, bytes - chunk.length, true);
    }
    yield decode(decoder, undefined, bytes, false);
  }
  return {
    format,
    rows: format === "csv" ? csvRows(text()) : jsonRows(text()),
    digest: () => ({ sha256: hash.digest("hex"), bytes }),
  };
}

function decode(
  decoder: TextDecoder,
  chunk: Uint8Array | undefined,
  offset: number,
  stream: boolean,
): string {
  try {
    return decoder.decode(chunk, { stream });
  } catch {
    throw new PostwireError(
      "invalid_encoding",
      `The file is not valid UTF-8 (in the bytes from offset ${offset}): export it as UTF-8 and upload it again.`,
    );
  }
}

async function* jsonRows(text: AsyncIterable<string>): AsyncGenerator<FileRow> {
  let line = 0;
  let rest = "";
  const row = (source: string): FileRow | undefined => {
    line++;
    const trimmed = source.trim();
    return trimmed ? jsonRow(trimmed, line) : undefined;
  };
  for await (const piece of text) {
    rest += piece;
    let end = rest.indexOf("\n");
    while (end >= 0) {
      const done = row(rest.slice(0, end));
      if (done) yield done;
      rest = rest.slice(end + 1);
      end = rest.indexOf("\n");
    }
  }
  const last = row(rest);
  if (last) yield last;
}

function jsonRow(text: string, line: number): FileRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, error: "not valid JSON." };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { line, error: "a line must be one JSON object." };
  const pairs: Pairs = [];
  for (const [name, field] of Object.entries(value)) {
    if (field === null || field === "") continue;
    if (typeof field === "string") pairs.push([name, field]);
    else if (typeof field === "number" || typeof field === "boolean") pairs.push([name, String(field)]);
    else return { line, error: `${name} must be a string, a number or a boolean.` };
  }
  return { line, pairs };
}

async function* csvRows(text: AsyncIterable<string>): AsyncGenerator<FileRow> {
  const skipped: FileRow[] = [];
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      skipped.push({ line: lineOf(error), error: error?.message ?? "unreadable CSV record." });
      return undefined;
    },
  });
  // Errors reach the reader through the iteration below; this listener only keeps an error
  // emitted while nobody iterates from becoming an uncaught exception.
  parser.on("error", () => {});
  const stop = new AbortController();
  void (async () => {
    try {
      for await (const piece of text) {
        if (stop.signal.aborted) return;
        if (!parser.write(piece)) await once(parser, "drain", { signal: stop.signal });
      }
      parser.end();
    } catch (error) {
      if (!stop.signal.aborted) parser.destroy(error as Error);
    }
  })();
  let header: string[] | undefined;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield* skipped.splice(0);
      const { record, info } = item;
      if (!header) {
        header = record.map((name) => name.trim());
        continue;
      }
      if (record.length !== header.length) {
        yield {
          line: info.lines,
          error: `${record.length} fields where the header has ${header.length}.`,
        };
        continue;
      }
      const pairs: Pairs = [];
      for (const [i, value] of record.entries())
        if (value !== "" && header[i]) pairs.push([header[i]!, value]);
      yield { line: info.lines, pairs };
    }
  } catch (error) {
    // Our own refusals (encoding, size) end the run; a CSV error at the end (a quote never
    // closed) is the last row's problem.
    if (error instanceof PostwireError || !isCsvError(error)) throw error;
    yield { line: lineOf(error), error: error.message };
  } finally {
    // The reader stopped (done, or the run failed): stop feeding, let the source go.
    stop.abort();
  }
  yield* skipped.splice(0);
}

const isCsvError = (error: unknown): error is Error => {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("CSV_");
};

const lineOf = (error: unknown): number => {
  const lines = (error as { lines?: unknown } | undefined)?.lines;
  return typeof lines === "number" ? lines : 0;
};
