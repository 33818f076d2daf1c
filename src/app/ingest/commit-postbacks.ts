/**
 * The transactional half of postback ingestion: for one batch, inside one transaction, decide each
 * item (duplicate, conflict, reversal checks, attribution, player binding, event allowed) so that
 * items of the same batch see each other (see causalOrder), then write everything at once.
 *
 * Batches may run concurrently (a PostgreSQL pool, or several processes on one database). When
 * another batch committed one of our txids (or a player binding we relied on) between our reads and
 * our writes, the whole batch is rolled back and decided again on fresh reads: patching single
 * answers would leave later items of the batch that saw the lost row (a repeat of the txid, a
 * refund of it, an event following its binding) pointing at a row that does not exist.
 */

import {
  completeTrace,
  type PostbackTrace,
  type TraceResult,
  traceUrl,
} from "../../domain/postback-trace.ts";
import { requestOutcome } from "../../domain/request-outcome.ts";
import type { Ids, Store } from "../ports.ts";
import type { ConversionRow, PlayerRow, RequestLogRow } from "../records.ts";
import type { ConversionEffect, EffectContext, IngestTx, OperatorKey } from "./ingest-port.ts";
import type { PostbackAnswer } from "./postback-answers.ts";
import {
  type BatchItem,
  type BatchState,
  type Decided,
  decideEvent,
  type EventItem,
  keyOf,
} from "./postback-outcome.ts";
import type { SignatureEvidenceRow, TraceRow } from "./trace-port.ts";

export type { BatchItem, EventItem, LogMeta } from "./postback-outcome.ts";

/** Another batch committed a key this one decided on: roll back and decide again. */
export class LostRaceError extends Error {
  constructor(what: string) {
    super(`a concurrent batch committed ${what} first`);
    this.name = "LostRaceError";
  }
}

const RACE_ATTEMPTS = 4;

/**
 * Decides and commits one batch in one transaction, deciding again (up to a few times) when it
 * lost an insert race. The winners are committed before we see the conflict, so a new attempt
 * finds them and answers duplicate or txid_conflict.
 */
export async function commitBatch(
  store: Store,
  items: readonly BatchItem[],
  ids: Ids,
  nowNs: () => bigint,
  effects: readonly ConversionEffect[] = [],
): Promise<PostbackAnswer[]> {
  for (let attempt = 1; ; attempt++) {
    const afterCommit: Array<() => void> = [];
    try {
      const answers = await store.ingest((tx) => decideBatch(tx, items, ids, nowNs, effects, afterCommit));
      for (const callback of afterCommit) callback();
      return answers;
    } catch (error) {
      if (!(error instanceof LostRaceError) || attempt >= RACE_ATTEMPTS) throw error;
    }
  }
}

export async function decideBatch(
  tx: IngestTx,
  items: readonly BatchItem[],
  ids: Ids,
  nowNs: () => bigint,
  effects: readonly ConversionEffect[] = [],
  afterCommit: Array<() => void> = [],
  written?: Written,
): Promise<PostbackAnswer[]> {
  // Each attempt traces from the steps taken before the batch (a lost race decides again).
  const traces = items.map(
    (item) => item.meta.trace && { ...item.meta.trace, steps: [...item.meta.trace.steps] },
  );
  const events = items.filter((item) => item.kind === "event");
  const keys: OperatorKey[] = [];
  for (const item of events) {
    keys.push({ operatorId: item.operator.id, txid: item.fields.txid });
    if (item.fields.reverses) keys.push({ operatorId: item.operator.id, txid: item.fields.reverses });
  }
  const playerKeys = events.flatMap((item) =>
    item.fields.playerId ? [{ operatorId: item.operator.id, playerId: item.fields.playerId }] : [],
  );
  const clickIds = clicksWanted(events, effects);
  const known = await tx.findKnown({ conversions: keys, players: playerKeys, clicks: clickIds });
  const conversions = new Map<string, ConversionRow>();
  for (const row of known.conversions) conversions.set(keyOf(row.operatorId, row.txid), row);
  const players = new Map<string, PlayerRow>();
  for (const row of known.players) players.set(keyOf(row.operatorId, row.playerId), row);
  // Only originals named by `reverses` need their reversed totals (locked on PostgreSQL).
  const originals = events.flatMap((item) => {
    const row = item.fields.reverses && conversions.get(keyOf(item.operator.id, item.fields.reverses));
    return row ? [row.id] : [];
  });
  const reversed = originals.length ? await tx.reversedTotals(originals) : new Map<string, number>();

  const state: BatchState = {
    conversions,
    players,
    reversed,
    ids,
    boundHere: new Set(),
    followed: new Set(),
  };
  const decided: Decided[] = new Array(items.length);
  for (const i of causalOrder(items)) {
    const item = items[i]!;
    decided[i] =
      item.kind === "rejected"
        ? { answer: item.answer, code: item.code, reason: item.reason }
        : decideEvent(item, state, traces[i]);
  }

  const rows = decided.flatMap((d) => (d.row ? [d.row] : []));
  // The request log's latency is up to the decision, which is complete here; the effects (and the
  // commit) come after it.
  const end = nowNs();
  const logs: RequestLogRow[] = items.map((item, i) => {
    const d = decided[i]!;
    return {
      id: ids.next("rq"),
      receivedAt: item.meta.receivedAt,
      operatorId: item.meta.operatorId,
      method: item.meta.method,
      path: item.meta.path,
      ip: item.meta.ip,
      status: d.answer.status,
      code: d.code,
      reason: d.reason,
      latencyUs: Number((end - item.meta.startedNs) / 1000n),
      txid: item.meta.txid,
      conversionId: d.conversionId ?? null,
      raw: item.meta.raw,
      programId: programOfLog(item, d),
      outcome: requestOutcome({
        status: d.answer.status,
        code: d.code,
        unattributed: d.answer.unattributed === true,
        // A validate-only run stores nothing: a test, so accepted counts are of stored events.
        test: d.row?.test === true || item.meta.trace?.mode === "validate_only",
      }),
      answer: d.answer.body,
      ...(item.meta.reconciliationId ? { reconciliationId: item.meta.reconciliationId } : {}),
    };
  });
  const inserted = await tx.insertRecords({
    conversions: rows,
    players: decided.flatMap((d) => (d.player ? [d.player] : [])),
    logs,
  });
  if (inserted.size < rows.length) throw new LostRaceError("a txid of this batch");
  if (state.followed.size) await checkBindings(tx, state);
  const signatures = items.flatMap((item, i) =>
    item.meta.signature === undefined
      ? []
      : [
          {
            requestLogId: logs[i]!.id,
            operatorId: item.meta.operatorId,
            receivedAt: item.meta.receivedAt,
            material: item.meta.signature,
          },
        ],
  );
  // A validate-only run's transaction is rolled back: it hands them over to be written after it.
  if (written) written.signatures = signatures;
  else if (signatures.length) await tx.insertSignatureEvidence(signatures);
  const traced = tracedConversions(decided, traces);
  if (rows.length && effects.length) {
    const clickTimes = new Map<string, number>();
    for (const item of events)
      if (item.click.kind === "touch" && item.click.touch.clickId)
        clickTimes.set(item.click.touch.clickId, item.click.clickedAt);
    const context: EffectContext = {
      payouts: new Map(),
      clickTimes,
      afterCommit,
      ...(traced.size ? { traces: traced } : {}),
      ...(known.clicks && {
        clicks: {
          asked: new Set(clickIds),
          rows: new Map(known.clicks.map((click) => [click.clickId, click])),
        },
      }),
    };
    for (const effect of effects) await effect(tx, rows, context);
  }
  if (!traces.some(Boolean)) return decided.map((d) => d.answer);
  const traceRows = finishTraces(items, decided, traces, logs);
  if (!written) await tx.insertTraces(traceRows);
  else {
    written.logs = logs;
    written.traces = traceRows;
  }
  return decided.map((d, i) => (traces[i] ? withTraceUrl(d.answer, logs[i]!.id) : d.answer));
}

/** What a batch wrote to the request log and the traces (kept for a validate-only run's rollback). */
export interface Written {
  logs: RequestLogRow[];
  traces: TraceRow[];
  signatures: SignatureEvidenceRow[];
}

/** The traces of the batch's new conversions, by conversion id, for the effects to add their steps. */
function tracedConversions(
  decided: readonly Decided[],
  traces: ReadonlyArray<PostbackTrace | undefined>,
): Map<string, PostbackTrace> {
  const traced = new Map<string, PostbackTrace>();
  decided.forEach((d, i) => {
    if (d.row && traces[i]) traced.set(d.row.id, traces[i]);
  });
  return traced;
}

/** The steps no one took, named as skipped with why; then one row per traced request-log row. */
function finishTraces(
  items: readonly BatchItem[],
  decided: readonly Decided[],
  traces: ReadonlyArray<PostbackTrace | undefined>,
  logs: readonly RequestLogRow[],
): TraceRow[] {
  const out: TraceRow[] = [];
  traces.forEach((trace, i) => {
    if (!trace) return;
    const d = decided[i]!;
    completeTrace(trace, d.row);
    trace.result = traceResult(items[i]!, d, trace);
    out.push({
      requestLogId: logs[i]!.id,
      operatorId: items[i]!.meta.operatorId,
      receivedAt: items[i]!.meta.receivedAt,
      mode: trace.mode,
      trace: JSON.stringify(trace),
    });
  });
  return out;
}

/** Where the traced postback's event belongs: its new row, the original of a duplicate, or as sent. */
function traceResult(item: BatchItem, d: Decided, trace: PostbackTrace): TraceResult {
  const repeat = trace.steps.find((s) => s.step === "idempotency" && s.details["result"] === "duplicate");
  const sent = item.kind === "event" ? item : undefined;
  return {
    code: d.code,
    method: item.meta.method,
    program_id:
      d.row?.programId ??
      (repeat?.details["program_id"] as number | null | undefined) ??
      sent?.declaredProgramId ??
      null,
    event: d.row?.event ?? (repeat?.details["event"] as string | undefined) ?? sent?.fields.event ?? null,
    reverses_id: d.row?.reversesId ?? null,
  };
}

/** The answer of a traced postback links to its trace (never stored in the replayed answer). */
function withTraceUrl(answer: PostbackAnswer, requestLogId: string): PostbackAnswer {
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  return { ...answer, body: JSON.stringify({ ...body, trace_url: traceUrl(requestLogId) }) };
}

/**
 * The program a logged request concerned: its conversion's (new, repeated or conflicting), else
 * its click's, else the one it named (or its operator's only program); null when none is known.
 */
function programOfLog(item: BatchItem, d: Decided): number | null {
  if (d.programId !== undefined && d.programId !== null) return d.programId;
  if (item.kind === "rejected") return item.meta.programId ?? null;
  if (item.click.kind === "touch") return item.click.touch.programId;
  return item.declaredProgramId;
}

/** The click ids the batch's events name, when an effect may read those clicks (else none). */
function clicksWanted(events: readonly EventItem[], effects: readonly ConversionEffect[]): string[] {
  const touches = events.flatMap((item) =>
    item.click.kind === "touch" && item.click.touch.clickId ? [item.click.touch] : [],
  );
  if (!touches.length) return [];
  const affiliates = new Set(touches.map((touch) => touch.affiliateId));
  if (!effects.some((effect) => effect.readsClicks?.(affiliates))) return [];
  return [...new Set(touches.map((touch) => touch.clickId!))];
}

/**
 * Items of one batch arrived together, in an order set by how long each spent before submission
 * (an event with a click_id awaits more look-ups than a refund). Decide them in an order that lets
 * them see each other: events carrying a click (which may bind a player) first, then events by
 * player alone, then reversals (whose original may be in the batch); arrival order within each.
 */
function causalOrder(items: readonly BatchItem[]): number[] {
  const rank = (item: BatchItem): number =>
    item.kind === "rejected" ? 0 : item.fields.reverses ? 2 : item.fields.clickId ? 0 : 1;
  return items.map((_, i) => i).sort((a, b) => rank(items[a]!) - rank(items[b]!) || a - b);
}

/** A binding made in this batch and followed by a later item must be the one that was stored. */
async function checkBindings(tx: IngestTx, state: BatchState): Promise<void> {
  const ours = [...state.followed].map((key) => state.players.get(key)!);
  const stored = new Map(
    (await tx.findPlayers(ours)).map((row) => [keyOf(row.operatorId, row.playerId), row]),
  );
  for (const mine of ours) {
    const row = stored.get(keyOf(mine.operatorId, mine.playerId));
    if (!row || row.linkId !== mine.linkId || row.clickId !== mine.clickId) {
      throw new LostRaceError(`a binding of player ${mine.playerId}`);
    }
  }
}
