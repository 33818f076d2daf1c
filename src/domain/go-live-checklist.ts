/**
 * The contract check (go-live checklist) of one program (DESIGN §5, issue 16): what an operator's
 * test postbacks must have shown before going live. Pure: built from the program's event types and
 * the results of the operator's traced postbacks since the last reset (newest first).
 */
import { eventRule, REVERSAL_EVENT_TYPES } from "./event-types.ts";
import type { TraceResult } from "./postback-trace.ts";

export const CHECK_KINDS = [
  "event",
  "retry_duplicate",
  "reversal_linked",
  "signed_get",
  "signed_post",
  "wrong_signature_refused",
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** passed; missing (still to do); not_needed (e.g. a signed POST when the operator sends GETs only). */
export const CHECK_STATES = ["passed", "missing", "not_needed"] as const;
export type CheckState = (typeof CHECK_STATES)[number];

/** One traced postback of the operator, as the checklist reads it. */
export interface CheckEvidence {
  readonly requestLogId: string;
  readonly receivedAt: number;
  readonly result: TraceResult;
}

export interface CheckItem {
  /** Stable id: `event:ftd`, `retry_duplicate`… */
  readonly id: string;
  readonly kind: CheckKind;
  readonly title: string;
  readonly event?: string;
  /** For an event: the fields it must carry (besides an identity: click_id or player_id). */
  readonly requiredFields?: readonly string[];
  readonly state: CheckState;
  /** The request-log entry that ticked it. */
  readonly evidence?: { readonly requestLogId: string; readonly receivedAt: number };
  /** What to send to tick it. */
  readonly hint: string;
}

export interface Checklist {
  readonly ready: boolean;
  readonly items: readonly CheckItem[];
  /** Ids of the items still missing. */
  readonly missing: readonly string[];
}

const passedCodes = new Set(["accepted", "duplicate"]);

/** The fields an event type requires, in the contract's order. */
export function requiredFields(event: string): string[] {
  const rule = eventRule(event);
  return [
    "event",
    "txid",
    ...(rule.requiresAmount ? ["amount", "currency"] : []),
    ...(rule.requiresLots ? ["lots"] : []),
    ...(rule.isReversal ? ["reverses"] : []),
  ];
}

export function buildChecklist(
  programId: number,
  allowedEvents: readonly string[],
  operatorSigns: boolean,
  evidence: readonly CheckEvidence[],
): Checklist {
  const ours = evidence.filter((e) => e.result.program_id === programId);
  const passing = ours.filter((e) => passedCodes.has(e.result.code));
  const item = (
    base: Omit<CheckItem, "state" | "evidence">,
    found: CheckEvidence | undefined,
    needed = true,
  ): CheckItem => {
    if (found)
      return {
        ...base,
        state: "passed",
        evidence: { requestLogId: found.requestLogId, receivedAt: found.receivedAt },
      };
    return { ...base, state: needed ? "missing" : "not_needed" };
  };
  const items: CheckItem[] = allowedEvents.map((event) =>
    item(
      {
        id: `event:${event}`,
        kind: "event",
        title: `A test ${event} accepted`,
        event,
        requiredFields: requiredFields(event),
        hint: `Send a test postback (test=1) with event=${event} and ${requiredFields(event).join(", ")}.`,
      },
      passing.find((e) => e.result.event === event && e.result.code === "accepted"),
    ),
  );
  items.push(
    item(
      {
        id: "retry_duplicate",
        kind: "retry_duplicate",
        title: "A retry answered duplicate",
        hint: "Send the same test postback again, unchanged (same txid, same content).",
      },
      ours.find((e) => e.result.code === "duplicate"),
    ),
  );
  if (allowedEvents.some((e) => (REVERSAL_EVENT_TYPES as readonly string[]).includes(e)))
    items.push(
      item(
        {
          id: "reversal_linked",
          kind: "reversal_linked",
          title: "A reversal linked to its original",
          hint: "Send a test refund (or chargeback) with reverses=<the txid of an earlier test event>.",
        },
        passing.find((e) => e.result.code === "accepted" && e.result.reverses_id !== null),
      ),
    );
  // Signed requests: each method the operator uses must pass; GET when it has used neither yet.
  const used = (method: string) => evidence.some((e) => e.result.method === method);
  for (const method of ["GET", "POST"] as const) {
    const needed = operatorSigns && (used(method) || (method === "GET" && !used("POST")));
    items.push(
      item(
        {
          id: method === "GET" ? "signed_get" : "signed_post",
          kind: method === "GET" ? "signed_get" : "signed_post",
          title: `A signed ${method} accepted`,
          hint:
            method === "GET"
              ? "Send a test GET signed with ts and sig (docs/integration.md §8)."
              : "Send a test POST with the Standard Webhooks headers (webhook-id = txid).",
        },
        operatorSigns ? passing.find((e) => e.result.method === method) : undefined,
        needed,
      ),
    );
  }
  items.push(
    item(
      {
        id: "wrong_signature_refused",
        kind: "wrong_signature_refused",
        title: "A wrong signature refused",
        hint: "Send a test postback signed with a wrong secret: it must be refused with invalid_signature.",
      },
      operatorSigns ? evidence.find((e) => e.result.code === "invalid_signature") : undefined,
      operatorSigns,
    ),
  );
  const missing = items.filter((i) => i.state === "missing").map((i) => i.id);
  return { ready: missing.length === 0, items, missing };
}
