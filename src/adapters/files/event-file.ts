/**
 * An operator's list of events (docs/reconciliation.md) read as it streams, never whole: CSV
 * (RFC 4180, quoted newlines included, by csv-parse) with a header row, or JSON lines (one object a
 * line). Bytes are hashed (SHA-256) and decoded as strict UTF-8 as they arrive: a byte order mark
 * is dropped, a file in another encoding is refused (`invalid_encoding`) rather than compared with
 * garbled ids. A row that cannot be read is reported with its line, and reading goes on.
 */
import { createHash } from "node:crypto";
import { TextDecoder } from "node:util";
import { type CsvError, type Options, parse } from "csv-parse";
import type { EventFile, FileRow } from "../../app/reconcile/compare-file.ts";
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

/**
 * Where each record starts, counted from the raw text csv-parse gives of it (its own line count
 * drifts after a quoted CRLF): the lines a record spans are the newlines inside it plus one. A
 * record skipped for a quoting error may be reported again, longer, when the parser resynchronises:
 * a raw text extending the previous skipped one is the same record.
 */
function lineCounter() {
  let next = 1;
  let lastSkip = "";
  let lastSkipLine = 0;
  const span = (raw: string | undefined): number => {
    let text = raw ?? "";
    if (text.endsWith("\n")) text = text.slice(0, -1);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    let lines = 1;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
    return lines;
  };
  return {
    record(raw: string | undefined): number {
      const line = next;
      next += span(raw);
      lastSkip = "";
      return line;
    },
    skipped(raw: string | undefined): number {
      const text = raw ?? "";
      if (lastSkip && text.startsWith(lastSkip)) {
        next = lastSkipLine + span(text);
        return lastSkipLine;
      }
      const line = next;
      next += span(text);
      lastSkip = text;
      lastSkipLine = line;
      return line;
    },
  };
}

/**
 * CSV rows in file order. csv-parse calls `on_record` and `on_skip` in file order as it parses, so
 * rows are queued from there (none go through its readable side) and handed out after each piece
 * of text: at most one piece's rows wait in memory.
 */
async function* csvRows(text: AsyncIterable<string>): AsyncGenerator<FileRow> {
  const queue: FileRow[] = [];
  const lines = lineCounter();
  let header: string[] | undefined;
  const options: Options = {
    bom: true,
    raw: true,
    relax_column_count: true,
    skip_records_with_error: true,
    // Either line end, even mixed in one file (a bare CR is no line end here).
    record_delimiter: ["\r\n", "\n"],
    on_record: (value: unknown) => {
      // With `raw`, each record comes with the text it was read from.
      const { record, raw } = value as { record: string[]; raw: string };
      const line = lines.record(raw);
      if (!header) header = record.map((name) => name.trim());
      else if (!(record.length === 1 && record[0] === "")) queue.push(csvRow(header, record, line));
      return null;
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      // Its own line count drifts (lineCounter): the row says where the record starts instead.
      const message = error?.message.replace(/ at line \d+/, "") ?? "unreadable CSV record.";
      queue.push({ line: lines.skipped(raw), error: message });
      return undefined;
    },
  };
  const parser = parse(options);
  let failure: Error | undefined;
  parser.on("error", (error) => {
    failure = error;
  });
  // Nothing comes out of the readable side (every record is taken in on_record): let it flow.
  parser.resume();
  const settled = (run: (callback: (error?: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) =>
      run((error) => (error || failure ? reject(error ?? failure) : resolve())),
    );
  for await (const piece of text) {
    await settled((callback) => parser.write(piece, callback));
    yield* queue.splice(0);
  }
  await settled((callback) => parser.end(callback));
  yield* queue.splice(0);
}

function csvRow(header: readonly string[], record: readonly string[], line: number): FileRow {
  if (record.length !== header.length)
    return { line, error: `${record.length} fields where the header has ${header.length}.` };
  const pairs: Pairs = [];
  for (const [i, value] of record.entries()) if (value !== "" && header[i]) pairs.push([header[i]!, value]);
  return { line, pairs };
}
