/**
 * Reconciliation (docs/reconciliation.md): one event of an operator's own list compared with the
 * conversion received under the same (operator, txid). Pure: the use case reads and writes.
 */
import { formatLots, formatMinor } from "./money.ts";
import type { PostbackFields } from "./postback-params.ts";

/**
 * What became of each row: matched, missing (in the file, never received), extra (received in the
 * period, not in the file), mismatched (differences named), and the rows left out: malformed
 * (refused by the postback validation, with the line), duplicate (a txid again in the file), test.
 */
export const RECONCILIATION_CATEGORIES = [
  "matched",
  "missing",
  "extra",
  "mismatched",
  "malformed",
  "duplicate",
  "test",
] as const;
export type ReconciliationCategory = (typeof RECONCILIATION_CATEGORIES)[number];

/** The fields a mismatch may name, in the contract's words. */
export const COMPARED_FIELDS = [
  "event",
  "amount",
  "currency",
  "player_id",
  "click_id",
  "reverses",
  "test",
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

/** One named difference: the file's value and the received one (null: none). */
export interface Difference {
  readonly field: ComparedField;
  readonly file: string | null;
  readonly received: string | null;
}

/** What was received under a txid, as far as reconciliation compares it. */
export interface ReceivedEvent {
  readonly conversionId: string;
  readonly txid: string;
  readonly event: string;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly playerId: string | null;
  readonly clickId: string | null;
  /** The txid of the event this one reverses. */
  readonly reversesTxid: string | null;
  readonly test: boolean;
}

const amountText = (minor: number | null | undefined, currency: string | null | undefined): string | null =>
  minor === null || minor === undefined || !currency ? null : formatMinor(minor, currency);

/**
 * The differences between a file's row and what was received. A field the file leaves empty is
 * not compared (an operator's export may lack a column); the event type always is.
 */
export function differencesOf(file: PostbackFields, received: ReceivedEvent): Difference[] {
  const out: Difference[] = [];
  const compare = (field: ComparedField, mine: string | null | undefined, theirs: string | null): void => {
    if (mine === undefined || mine === null) return;
    if (mine !== theirs) out.push({ field, file: mine, received: theirs });
  };
  if (file.event !== received.event) out.push({ field: "event", file: file.event, received: received.event });
  if (file.amountMinor !== undefined && file.amountMinor !== received.amountMinor)
    out.push({
      field: "amount",
      file: amountText(file.amountMinor, file.currency),
      received: amountText(received.amountMinor, received.currency),
    });
  compare("currency", file.currency, received.currency);
  compare("player_id", file.playerId, received.playerId);
  compare("click_id", file.clickId, received.clickId);
  compare("reverses", file.reverses, received.reversesTxid);
  if (file.test !== received.test)
    out.push({ field: "test", file: String(file.test), received: String(received.test) });
  return out;
}

/**
 * A validated row back as contract parameters (our names, our values), as a backfill ingests it:
 * parsing them again gives the same fields and the same content hash as the live postback would
 * have had, so a live retry of the same event is a duplicate, not a conflict.
 */
export function contractPairs(fields: PostbackFields): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    ["event", fields.event],
    ["txid", fields.txid],
  ];
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) pairs.push([name, value]);
  };
  add("click_id", fields.clickId);
  add("player_id", fields.playerId);
  if (fields.amountMinor !== undefined && fields.currency !== undefined) {
    pairs.push(["amount", formatMinor(fields.amountMinor, fields.currency)]);
    pairs.push(["currency", fields.currency]);
  }
  if (fields.lotsMilli !== undefined) pairs.push(["lots", formatLots(fields.lotsMilli)]);
  add("reverses", fields.reverses);
  if (fields.occurredAtGiven) pairs.push(["occurred_at", new Date(fields.occurredAt).toISOString()]);
  add("sub_id", fields.subId);
  if (fields.test) pairs.push(["test", "1"]);
  if (fields.programId !== undefined) pairs.push(["program_id", String(fields.programId)]);
  for (const [name, value] of Object.entries(fields.extra)) pairs.push([name, value]);
  return pairs;
}

/** The UTC day (YYYY-MM-DD) of an epoch-millisecond time: the summary's day. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
