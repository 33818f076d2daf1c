/**
 * Comparing an operator's file with what was received (reconcile-events.ts runs it, in this thread
 * or in a worker thread: adapters/files/comparison-threads.ts). The file is read row by row (never
 * whole) and compared in chunks: each chunk's txids are looked up by (operator, txid), its rows
 * written to the run; then the conversions of the period no row names are added as extras. Every
 * row is validated as a live postback would be; a refused row is reported with its line and the
 * comparison goes on.
 */
import {
  LIMITS,
  type ParamMapping,
  type PostbackFields,
  parsePostbackParams,
} from "../../domain/postback-params.ts";
import {
  contractPairs,
  differencesOf,
  RECONCILIATION_CATEGORIES,
  type ReceivedEvent,
  type ReconciliationCategory,
  utcDay,
} from "../../domain/reconciliation.ts";
import { isUnstorable } from "../../domain/storable-text.ts";
import type { Clock } from "../ports.ts";
import type {
  CategoryCounts,
  DaySummary,
  ReconciliationRun,
  ReconciliationStore,
  ResultRow,
} from "./reconciliation-port.ts";

/** One line of the operator's file as the reader (adapters) gives it. */
export type FileRow =
  | { readonly line: number; readonly pairs: ReadonlyArray<readonly [string, string]> }
  | { readonly line: number; readonly error: string };

/** The operator's file, read as it streams; `digest` is complete once `rows` is exhausted. */
export interface EventFile {
  readonly format: "csv" | "jsonl";
  readonly rows: AsyncIterable<FileRow>;
  digest(): { readonly sha256: string; readonly bytes: number };
}

/** What a comparison found; the run's rows are written by then. */
export interface Comparison {
  readonly counts: CategoryCounts;
  readonly summary: DaySummary[];
  readonly fileSha256: string;
  readonly fileBytes: number;
}

/** Compares the run's file with what was received, writing the run's rows as it goes. */
export type CompareFile = (run: ReconciliationRun, mapping: ParamMapping) => Promise<Comparison>;

interface CompareDeps {
  readonly reconciliations: ReconciliationStore;
  readonly clock: Clock;
}

interface CompareOptions {
  /** Aborted: the comparison stops before its next chunk, with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Rows compared per look-up and per write. */
const CHUNK = 2000;

export const emptyCounts = (): CategoryCounts =>
  Object.fromEntries(RECONCILIATION_CATEGORIES.map((c) => [c, 0])) as CategoryCounts;

/** The comparison of `file`, run in this thread. */
export function compareFile(deps: CompareDeps, file: EventFile, options: CompareOptions = {}): CompareFile {
  return async (run, mapping) => {
    const tally = new Tally();
    let seq = 0;
    let chunk: FileRow[] = [];
    const flush = async () => {
      options.signal?.throwIfAborted();
      const rows = await compareChunk(deps, run, mapping, chunk, seq);
      seq += chunk.length;
      tally.add(rows);
      await deps.reconciliations.insertRows(run.id, rows);
      chunk = [];
    };
    for await (const row of file.rows) {
      chunk.push(row);
      if (chunk.length >= CHUNK) await flush();
    }
    if (chunk.length) await flush();
    await addExtras(deps.reconciliations, run, seq, tally, options.signal);
    const { sha256, bytes } = file.digest();
    return { counts: tally.counts, summary: tally.summary(), fileSha256: sha256, fileBytes: bytes };
  };
}

/**
 * The run's counts, and per UTC day and event type, kept as rows are decided: as many entries as
 * days × event types, however many rows (a GROUP BY over the rows would sort them all).
 */
class Tally {
  readonly counts = emptyCounts();
  private readonly byDay = new Map<string, DaySummary>();

  add(rows: readonly ResultRow[]): void {
    for (const row of rows) {
      this.counts[row.category]++;
      if (row.occurredAt === null || row.event === null) continue;
      const day = utcDay(row.occurredAt);
      const key = `${day}\u0000${row.event}`;
      let entry = this.byDay.get(key);
      if (!entry) {
        entry = { day, event: row.event, counts: emptyCounts() };
        this.byDay.set(key, entry);
      }
      entry.counts[row.category]++;
    }
  }

  summary(): DaySummary[] {
    return [...this.byDay.values()].sort((a, b) =>
      a.day === b.day ? (a.event < b.event ? -1 : 1) : a.day < b.day ? -1 : 1,
    );
  }
}

/** Conversions of the period the file does not name, a page at a time, numbered after the file's rows. */
async function addExtras(
  store: ReconciliationStore,
  run: ReconciliationRun,
  fileRows: number,
  tally: Tally,
  signal: AbortSignal | undefined,
): Promise<void> {
  let seq = fileRows;
  for (let after: { at: number; id: string } | undefined; ; ) {
    signal?.throwIfAborted();
    const page = await store.extras(run, after, CHUNK);
    if (!page.length) return;
    const rows = page.map(
      (e): ResultRow => ({
        seq: ++seq,
        category: "extra",
        line: null,
        txid: e.txid,
        event: e.event,
        occurredAt: e.occurredAt,
        fields: null,
        differences: null,
        error: null,
        conversionId: e.conversionId,
        backfillCode: null,
      }),
    );
    await store.insertRows(run.id, rows);
    tally.add(rows);
    const last = page[page.length - 1]!;
    after = { at: last.occurredAt, id: last.conversionId };
  }
}

/**
 * The txid a refused row names, if a usable one: shown with the row, and it keeps the conversion
 * received under it from being counted as an extra.
 */
function namedTxid(pairs: ReadonlyArray<readonly [string, string]>, mapping: ParamMapping): string | null {
  const pair = pairs.find(
    ([name]) => (Object.hasOwn(mapping.params, name) ? mapping.params[name] : name) === "txid",
  );
  const txid = pair?.[1];
  return txid && txid.length <= LIMITS.maxIdLength && !isUnstorable(txid) ? txid : null;
}

/** A file row validated as a postback: its fields, or why it was refused. */
type Parsed =
  | { readonly row: FileRow; readonly fields: PostbackFields; readonly error?: undefined }
  | { readonly row: FileRow; readonly error: string; readonly fields?: undefined };

/** Decides a chunk of file rows; `before` is the seq of the row preceding the chunk. */
async function compareChunk(
  deps: CompareDeps,
  run: ReconciliationRun,
  mapping: ParamMapping,
  chunk: readonly FileRow[],
  before: number,
): Promise<ResultRow[]> {
  const now = deps.clock.now();
  const parsed = chunk.map((row): Parsed => {
    if ("error" in row) return { row, error: row.error };
    const fields = parsePostbackParams(row.pairs, mapping, now);
    if (!fields.ok) return { row, error: fields.error.message };
    if (!fields.value.occurredAtGiven)
      return { row, error: "occurred_at is required in a reconciliation file." };
    return { row, fields: fields.value };
  });
  const txids = [...new Set(parsed.flatMap((p) => (p.fields ? [p.fields.txid] : [])))];
  const store = deps.reconciliations;
  const [received, seen] = await Promise.all([
    store.received(run.operatorId, txids),
    store.seen(run.id, txids),
  ]);
  const byTxid = new Map<string, ReceivedEvent>(received.map((r) => [r.txid, r]));
  const here = new Set<string>();
  return parsed.map((p, i): ResultRow => {
    const base = {
      seq: before + i + 1,
      line: p.row.line,
      differences: null,
      error: null,
      conversionId: null,
      backfillCode: null,
    };
    if (!p.fields)
      return {
        ...base,
        category: "malformed",
        txid: "pairs" in p.row ? namedTxid(p.row.pairs, mapping) : null,
        event: null,
        occurredAt: null,
        fields: null,
        error: `line ${p.row.line}: ${p.error}`,
      };
    const { fields } = p;
    const row = {
      ...base,
      txid: fields.txid,
      event: fields.event,
      occurredAt: fields.occurredAt,
      fields: null,
    };
    if (seen.has(fields.txid) || here.has(fields.txid))
      return { ...row, category: "duplicate", error: `txid ${fields.txid} is in the file more than once.` };
    here.add(fields.txid);
    if (fields.test) return { ...row, category: "test" };
    const stored = byTxid.get(fields.txid);
    // Only a missing row is ever ingested: only its fields are kept.
    if (!stored) return { ...row, category: "missing", fields: contractPairs(fields) };
    const differences = differencesOf(fields, stored);
    const category: ReconciliationCategory = differences.length ? "mismatched" : "matched";
    return {
      ...row,
      category,
      conversionId: stored.conversionId,
      differences: differences.length ? differences : null,
    };
  });
}
