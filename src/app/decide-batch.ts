/**
 * The transactional half of postback ingestion: for one batch, inside one transaction, decide each
 * item (duplicate, conflict, reversal checks, attribution, player binding, event allowed) in arrival
 * order, so items of the same batch see each other, then write everything at once.
 */
import { attribute, type ClickResolution, type Touch } from "../domain/attribution.ts";
import { type Failure, fail, ok, type Result } from "../domain/errors.ts";
import type { Operator, Program } from "../domain/model.ts";
import type { PostbackFields } from "../domain/postback-params.ts";
import { reversalAmount } from "../domain/reversal.ts";
import { errorAnswer, failureAnswer, type PostbackAnswer } from "./answers.ts";
import type { ConversionRow, Ids, IngestTx, OperatorKey, PlayerRow, RequestLogRow } from "./ports.ts";

export interface LogMeta {
  readonly receivedAt: number;
  readonly startedNs: bigint;
  readonly method: string;
  readonly path: string;
  readonly ip: string | null;
  readonly raw: string;
  readonly txid: string | null;
  readonly operatorId: number | null;
}

export type BatchItem =
  | {
      readonly kind: "event";
      readonly operator: Operator;
      readonly fields: PostbackFields;
      readonly click: ClickResolution;
      /** All programs of the operator; `declaredProgramId` is the one named or implied by the request. */
      readonly programs: readonly Program[];
      readonly declaredProgramId: number | null;
      readonly meta: LogMeta;
    }
  | {
      readonly kind: "rejected";
      readonly answer: PostbackAnswer;
      readonly code: string;
      readonly reason: string;
      readonly meta: LogMeta;
    };

const keyOf = (operatorId: number, id: string) => `${operatorId}\u0000${id}`;

interface Decided {
  readonly answer: PostbackAnswer;
  readonly code: string;
  readonly reason: string | null;
  readonly row?: ConversionRow;
  readonly player?: PlayerRow;
}

export async function decideBatch(
  tx: IngestTx,
  items: readonly BatchItem[],
  ids: Ids,
  nowNs: () => bigint,
): Promise<PostbackAnswer[]> {
  const events = items.filter((item) => item.kind === "event");
  const keys: OperatorKey[] = [];
  for (const item of events) {
    keys.push({ operatorId: item.operator.id, txid: item.fields.txid });
    if (item.fields.reverses) keys.push({ operatorId: item.operator.id, txid: item.fields.reverses });
  }
  const conversions = new Map<string, ConversionRow>();
  for (const row of await tx.findConversions(keys)) conversions.set(keyOf(row.operatorId, row.txid), row);
  const players = new Map<string, PlayerRow>();
  const playerKeys = events.flatMap((item) =>
    item.fields.playerId ? [{ operatorId: item.operator.id, playerId: item.fields.playerId }] : [],
  );
  for (const row of await tx.findPlayers(playerKeys)) players.set(keyOf(row.operatorId, row.playerId), row);
  const originals = [...conversions.values()].map((row) => row.id);
  const reversed = originals.length ? await tx.reversedTotals(originals) : new Map<string, number>();

  const decided: Decided[] = items.map((item) => {
    if (item.kind === "rejected") return { answer: item.answer, code: item.code, reason: item.reason };
    return decideEvent(item, { conversions, players, reversed, ids });
  });

  const rows = decided.flatMap((d) => (d.row ? [d.row] : []));
  const inserted = await tx.insertConversions(rows);
  if (inserted.size < rows.length) await resolveLostRaces(tx, decided, inserted);
  await tx.insertPlayers(
    decided.flatMap((d) => (d.player && d.row && inserted.has(d.row.id) ? [d.player] : [])),
  );

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
      conversionId: d.row && inserted.has(d.row.id) ? d.row.id : null,
      raw: item.meta.raw,
    };
  });
  await tx.insertRequestLogs(logs);
  return decided.map((d) => d.answer);
}

interface BatchState {
  readonly conversions: Map<string, ConversionRow>;
  readonly players: Map<string, PlayerRow>;
  readonly reversed: Map<string, number>;
  readonly ids: Ids;
}

function rejected(failure: Failure): Decided {
  return { answer: failureAnswer(failure), code: failure.code, reason: failure.message };
}

function repeatOf(existing: ConversionRow, contentHash: string): Decided {
  if (existing.contentHash !== contentHash) {
    return rejected({
      code: "txid_conflict",
      message: `txid ${existing.txid} was already used with different content.`,
      field: "txid",
    });
  }
  const original = JSON.parse(existing.response) as Record<string, unknown>;
  return {
    answer: { status: 200, body: JSON.stringify({ ...original, code: "duplicate" }) },
    code: "duplicate",
    reason: null,
  };
}

function decideEvent(item: Extract<BatchItem, { kind: "event" }>, state: BatchState): Decided {
  const { operator, fields } = item;
  const key = keyOf(operator.id, fields.txid);
  const existing = state.conversions.get(key);
  if (existing) return repeatOf(existing, fields.contentHash);

  let touch: Touch | null;
  let reason: ConversionRow["unattributedReason"] = null;
  let reversesId: string | null = null;
  let amountMinor = fields.amountMinor ?? null;
  let currency = fields.currency ?? null;
  let player: PlayerRow | undefined;
  if (fields.reverses) {
    const original = state.conversions.get(keyOf(operator.id, fields.reverses));
    if (!original)
      return rejected({
        code: "reverses_not_found",
        message: `No event with txid ${fields.reverses} was received.`,
        field: "reverses",
      });
    const amount = reversalAmount(
      original,
      state.reversed.get(original.id) ?? 0,
      fields.amountMinor,
      fields.currency,
    );
    if (!amount.ok) return rejected(amount.error);
    amountMinor = amount.value;
    currency = amount.value === null ? null : original.currency;
    reversesId = original.id;
    state.reversed.set(original.id, (state.reversed.get(original.id) ?? 0) + (amount.value ?? 0));
    touch =
      original.affiliateId === null
        ? null
        : {
            clickId: original.clickId,
            linkId: original.linkId!,
            affiliateId: original.affiliateId,
            programId: original.programId!,
          };
    reason = original.unattributedReason;
  } else {
    const binding = fields.playerId ? state.players.get(keyOf(operator.id, fields.playerId)) : undefined;
    const result = attribute(item.click, fields.playerId, binding);
    touch = result.touch;
    reason = result.reason;
    if (result.bindPlayer && result.touch && fields.playerId) {
      player = {
        operatorId: operator.id,
        playerId: fields.playerId,
        ...result.touch,
        boundAt: fields.occurredAt,
      };
      state.players.set(keyOf(operator.id, fields.playerId), player);
    }
  }

  const program = programFor(item, touch);
  if (!program.ok) return rejected(program.error);
  const id = state.ids.next("cv");
  const attributed = touch !== null;
  const response = JSON.stringify({
    code: "accepted",
    conversion_id: id,
    attributed,
    ...(attributed ? {} : { unattributed_reason: reason }),
    ...(fields.test ? { test: true } : {}),
  });
  const row: ConversionRow = {
    id,
    operatorId: operator.id,
    txid: fields.txid,
    contentHash: fields.contentHash,
    event: fields.event,
    programId: program.value,
    affiliateId: touch?.affiliateId ?? null,
    linkId: touch?.linkId ?? null,
    clickId: touch?.clickId ?? fields.clickId ?? null,
    playerId: fields.playerId ?? null,
    amountMinor,
    currency,
    lotsMilli: fields.lotsMilli ?? null,
    reversesId,
    occurredAt: fields.occurredAt,
    receivedAt: item.meta.receivedAt,
    unattributedReason: attributed ? null : reason,
    test: fields.test,
    subId: fields.subId ?? null,
    extra: fields.extra,
    response,
  };
  state.conversions.set(key, row);
  const decided: Decided = {
    answer: { status: 200, body: response },
    code: "accepted",
    reason: attributed ? null : reason,
    row,
  };
  return player ? { ...decided, player } : decided;
}

/** The program of the event, and whether it allows this event type. */
function programFor(item: Extract<BatchItem, { kind: "event" }>, touch: Touch | null): Result<number | null> {
  const programId = touch?.programId ?? item.declaredProgramId;
  const event = item.fields.event;
  if (programId !== null) {
    const program = item.programs.find((p) => p.id === programId);
    if (program && !program.allowedEvents.includes(event)) {
      return fail("unknown_event_type", `Program ${program.id} does not accept "${event}" events.`, "event");
    }
    return ok(programId);
  }
  if (!item.programs.some((p) => p.allowedEvents.includes(event))) {
    return fail("unknown_event_type", `No program of this operator accepts "${event}" events.`, "event");
  }
  return ok(null);
}

/** Another process inserted the same (operator, txid) first: answer as a repeat of its row. */
async function resolveLostRaces(tx: IngestTx, decided: Decided[], inserted: Set<string>): Promise<void> {
  const lost = decided.flatMap((d, i) => (d.row && !inserted.has(d.row.id) ? [i] : []));
  const winners = await tx.findConversions(
    lost.map((i) => ({ operatorId: decided[i]!.row!.operatorId, txid: decided[i]!.row!.txid })),
  );
  const byKey = new Map(winners.map((w) => [keyOf(w.operatorId, w.txid), w]));
  for (const i of lost) {
    const mine = decided[i]!.row!;
    const winner = byKey.get(keyOf(mine.operatorId, mine.txid));
    decided[i] = winner ? repeatOf(winner, mine.contentHash) : { ...rejectedRace() };
  }
}

function rejectedRace(): Decided {
  const answer = errorAnswer("storage_unavailable", "A concurrent write could not be resolved; retry.", 1);
  return { answer, code: "storage_unavailable", reason: "lost insert race without a winner" };
}
