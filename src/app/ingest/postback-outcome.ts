/**
 * One event of a batch, decided in arrival order against what the batch has read and decided so
 * far: duplicate or conflict, reversal limits, attribution and player binding, event allowed.
 * Pure: the batch (commit-postbacks.ts) does the reads before and the writes after.
 */
import { attribute, type ClickResolution, type Touch } from "../../domain/attribution.ts";
import { type Failure, fail, ok, type Result } from "../../domain/errors.ts";
import type { Operator, Program } from "../../domain/model.ts";
import type { PostbackFields } from "../../domain/postback-params.ts";
import {
  addStep,
  attributionDetails,
  contentDifferences,
  failedStep,
  type PostbackTrace,
} from "../../domain/postback-trace.ts";
import { reversalAmount } from "../../domain/reversal.ts";
import type { Ids } from "../ports.ts";
import type { ConversionRow, PlayerRow, UnattributedReason } from "../records.ts";
import { failureAnswer, type PostbackAnswer } from "./postback-answers.ts";

export interface LogMeta {
  readonly receivedAt: number;
  readonly startedNs: bigint;
  readonly method: string;
  readonly path: string;
  readonly ip: string | null;
  readonly raw: string;
  readonly txid: string | null;
  readonly operatorId: number | null;
  /** The steps so far of a traced postback (test event, validate-only); absent: not traced. */
  readonly trace?: PostbackTrace;
  /** A refused signature: what it was checked over, as JSON (postback-request.ts: signatureMaterial). */
  readonly signature?: string;
  /** The program a request refused before its batch concerned, when that was known (its click's). */
  readonly programId?: number | null;
  /** Set on a reconciliation backfill: the run, kept on the conversion and the request-log row. */
  readonly reconciliationId?: string;
}

export interface EventItem {
  readonly kind: "event";
  readonly operator: Operator;
  readonly fields: PostbackFields;
  readonly click: ClickResolution;
  /** All programs of the operator; `declaredProgramId` is the one named or implied by the request. */
  readonly programs: readonly Program[];
  readonly declaredProgramId: number | null;
  readonly meta: LogMeta;
}

export type BatchItem =
  | EventItem
  | {
      readonly kind: "rejected";
      readonly answer: PostbackAnswer;
      readonly code: string;
      readonly reason: string;
      readonly meta: LogMeta;
    };

export const keyOf = (operatorId: number, id: string): string => `${operatorId}\u0000${id}`;

export interface Decided {
  readonly answer: PostbackAnswer;
  readonly code: string;
  readonly reason: string | null;
  /** The conversion the answer names (new, or the original of a duplicate), for the request log. */
  readonly conversionId?: string;
  /** The program of the conversion the answer concerns (new, repeated or conflicting), if any. */
  readonly programId?: number | null;
  readonly row?: ConversionRow;
  readonly player?: PlayerRow;
}

export interface BatchState {
  readonly conversions: Map<string, ConversionRow>;
  readonly players: Map<string, PlayerRow>;
  /** Amount already reversed per original id; a key with 0 means reversed without an amount. */
  readonly reversed: Map<string, number>;
  readonly ids: Ids;
  /** Player keys bound by an item of this batch… */
  readonly boundHere: Set<string>;
  /** …and those of them a later item of this batch was attributed through. */
  readonly followed: Set<string>;
}

/** The refusal a Decided carries, as a Failure (for the trace). */
function failureOf(decided: Decided): Failure {
  const body = JSON.parse(decided.answer.body) as { message?: string; field?: string };
  const failure = { code: decided.code as Failure["code"], message: body.message ?? "" };
  return body.field === undefined ? failure : { ...failure, field: body.field };
}

/** The idempotency step of a repeated txid: duplicate (same content) or conflict (what differs). */
function traceRepeat(trace: PostbackTrace, existing: ConversionRow, item: EventItem, repeat: Decided): void {
  if (repeat.code === "duplicate") {
    addStep(trace, "idempotency", "passed", "Same txid, same content: the original answer again.", {
      result: "duplicate",
      conversion_id: existing.id,
      program_id: existing.programId,
      event: existing.event,
    });
    return;
  }
  failedStep(trace, "idempotency", failureOf(repeat), {
    result: "conflict",
    conversion_id: existing.id,
    differences: contentDifferences(existing, item.fields),
  });
}

function rejected(failure: Failure): Decided {
  return { answer: failureAnswer(failure), code: failure.code, reason: failure.message };
}

function repeatOf(existing: ConversionRow, contentHash: string): Decided {
  if (existing.contentHash !== contentHash) {
    const conflict = rejected({
      code: "txid_conflict",
      message: `txid ${existing.txid} was already used with different content.`,
      field: "txid",
    });
    return { ...conflict, programId: existing.programId };
  }
  const original = JSON.parse(existing.response) as Record<string, unknown>;
  return {
    answer: {
      status: 200,
      code: "duplicate",
      body: JSON.stringify({ ...original, code: "duplicate" }),
      replayed: true,
    },
    code: "duplicate",
    reason: null,
    conversionId: existing.id,
    programId: existing.programId,
  };
}

/** Where an accepted event belongs, and what it carries. */
interface Placement {
  readonly touch: Touch | null;
  readonly reason: UnattributedReason | null;
  readonly programId: number | null;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly reversesId: string | null;
  /** A reversal that uses up part of its original (false: a test reversal of a live event). */
  readonly countsAsReversed?: boolean;
  /** A player binding this event makes. */
  readonly player?: PlayerRow;
}

/** A reversal belongs where its original does, for at most what remains of it. */
function placeReversal(item: EventItem, state: BatchState, reverses: string): Placement | Decided {
  const original = state.conversions.get(keyOf(item.operator.id, reverses));
  // A live event never sees a test one (test-mode isolation); a test event may reverse a live one.
  if (!original || (original.test && !item.fields.test)) {
    return rejected({
      code: "reverses_not_found",
      message: `No event with txid ${reverses} was received.`,
      field: "reverses",
    });
  }
  const { amountMinor, currency } = item.fields;
  const amount = reversalAmount(original, state.reversed.get(original.id), amountMinor, currency);
  if (!amount.ok) return rejected(amount.error);
  const touch =
    original.affiliateId === null
      ? null
      : {
          clickId: original.clickId,
          linkId: original.linkId!,
          affiliateId: original.affiliateId,
          programId: original.programId!,
        };
  return {
    touch,
    reason: original.unattributedReason,
    programId: original.programId ?? item.declaredProgramId,
    amountMinor: amount.value,
    currency: amount.value === null ? null : original.currency,
    reversesId: original.id,
    countsAsReversed: original.test === item.fields.test,
  };
}

/** Attribution by click or player binding (domain/attribution.ts), against this batch's bindings. */
function placeEvent(item: EventItem, state: BatchState, trace?: PostbackTrace): Placement {
  const { operator, fields } = item;
  const playerKey = fields.playerId ? keyOf(operator.id, fields.playerId) : undefined;
  const binding = playerKey ? state.players.get(playerKey) : undefined;
  if (binding && state.boundHere.has(playerKey!)) state.followed.add(playerKey!);
  const result = attribute(item.click, fields.playerId, binding);
  if (trace) {
    const programId = result.touch?.programId ?? item.declaredProgramId;
    const found = attributionDetails({
      click: item.click,
      binding,
      touch: result.touch,
      reason: result.reason,
      bindsPlayer: result.bindPlayer,
      test: fields.test,
      occurredAt: fields.occurredAt,
      lookbackDays: item.programs.find((p) => p.id === programId)?.lookbackDays,
    });
    addStep(trace, "attribution", found.outcome, found.summary, found.details);
  }
  const placement: Placement = {
    touch: result.touch,
    reason: result.reason,
    programId: result.touch?.programId ?? item.declaredProgramId,
    amountMinor: fields.amountMinor ?? null,
    currency: fields.currency ?? null,
    reversesId: null,
  };
  // A test event shows what it would attribute but binds no one a live event could follow.
  if (!result.bindPlayer || !result.touch || !fields.playerId || fields.test) return placement;
  const { clickId, linkId, affiliateId, programId } = result.touch;
  const player = {
    operatorId: operator.id,
    playerId: fields.playerId,
    clickId,
    linkId,
    affiliateId,
    programId,
  };
  return { ...placement, player: { ...player, boundAt: fields.occurredAt } };
}

/** Decides one event against the batch state, and records an accepted one in it. */
export function decideEvent(item: EventItem, state: BatchState, trace?: PostbackTrace): Decided {
  const { operator, fields } = item;
  const key = keyOf(operator.id, fields.txid);
  const existing = state.conversions.get(key);
  if (existing) {
    const repeat = repeatOf(existing, fields.contentHash);
    if (trace) traceRepeat(trace, existing, item, repeat);
    return repeat;
  }
  if (trace) addStep(trace, "idempotency", "passed", `txid ${fields.txid} is new.`, { txid: fields.txid });

  const placed = fields.reverses
    ? placeReversal(item, state, fields.reverses)
    : placeEvent(item, state, trace);
  if ("answer" in placed) {
    if (trace) failedStep(trace, "attribution", failureOf(placed));
    return placed;
  }
  if (trace && placed.reversesId !== null)
    addStep(trace, "attribution", "passed", `Reverses ${placed.reversesId}, where its original belongs.`, {
      reverses_id: placed.reversesId,
      amount_minor: placed.amountMinor,
      currency: placed.currency,
      affiliate_id: placed.touch?.affiliateId ?? null,
      uses_up_original: placed.countsAsReversed ?? true,
    });
  const program = programFor(item, placed.programId);
  if (!program.ok) {
    if (trace) failedStep(trace, "validation", program.error);
    return rejected(program.error);
  }

  // Recorded only once the event is accepted: a refused event binds no one and reverses nothing.
  const { reversesId, amountMinor, player } = placed;
  if (reversesId !== null && placed.countsAsReversed)
    state.reversed.set(reversesId, (state.reversed.get(reversesId) ?? 0) + (amountMinor ?? 0));
  if (player) {
    state.players.set(keyOf(operator.id, player.playerId), player);
    state.boundHere.add(keyOf(operator.id, player.playerId));
  }
  const row = conversionRow(item, placed, program.value, state.ids.next("cv"));
  state.conversions.set(key, row);
  const decided: Decided = {
    answer: { status: 200, code: "accepted", body: row.response, unattributed: row.affiliateId === null },
    code: "accepted",
    reason: row.unattributedReason,
    conversionId: row.id,
    programId: row.programId,
    row,
  };
  return player ? { ...decided, player } : decided;
}

function conversionRow(
  item: EventItem,
  placed: Placement,
  programId: number | null,
  id: string,
): ConversionRow {
  const { fields } = item;
  const { touch } = placed;
  const attributed = touch !== null;
  const response = JSON.stringify({
    code: "accepted",
    conversion_id: id,
    attributed,
    ...(attributed ? {} : { unattributed_reason: placed.reason }),
    ...(fields.test ? { test: true } : {}),
  });
  return {
    id,
    operatorId: item.operator.id,
    txid: fields.txid,
    contentHash: fields.contentHash,
    event: fields.event,
    programId,
    affiliateId: touch?.affiliateId ?? null,
    linkId: touch?.linkId ?? null,
    clickId: touch?.clickId ?? fields.clickId ?? null,
    playerId: fields.playerId ?? null,
    amountMinor: placed.amountMinor,
    currency: placed.currency,
    lotsMilli: fields.lotsMilli ?? null,
    reversesId: placed.reversesId,
    occurredAt: fields.occurredAt,
    receivedAt: item.meta.receivedAt,
    unattributedReason: attributed ? null : placed.reason,
    test: fields.test,
    subId: fields.subId ?? null,
    extra: fields.extra,
    response,
    ...(item.meta.reconciliationId ? { reconciliationId: item.meta.reconciliationId } : {}),
  };
}

/** The program of the event, and whether it allows this event type. */
function programFor(item: EventItem, programId: number | null): Result<number | null> {
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
