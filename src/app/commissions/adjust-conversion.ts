/**
 * Use case: a manager rejects or adjusts a conversion by hand, with a reason code (DESIGN §3).
 * Writes compensating entries (`kind: adjustment`), never edits: a reject negates what remains of
 * each entry (compensation of a pending entry stays pending with its hold, of an approved or paid
 * one is approved at once, like a reversal); an adjust adds one approved entry of a signed amount.
 * In the same transaction, the decision is forwarded to the affiliate's subscribed endpoints
 * (`rejected` or `adjusted`, docs/outbound.md), so a message is never lost nor sent for a decision
 * rolled back. A retry with the same idempotency key answers the first decision and writes nothing.
 */
import {
  type AdjustmentAction,
  type AdjustmentLine,
  type AdjustmentReason,
  adjustLine,
  rejectLines,
} from "../../domain/commissions/adjust.ts";
import { periodOf } from "../../domain/commissions/exact.ts";
import { compensationState } from "../../domain/commissions/reverse.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { allowRoles, notFound } from "../admin/scope.ts";
import { forwardAdjustment } from "../delivery/forward-adjustment.ts";
import type { ConversionRow } from "../records.ts";
import type { Adjustment, OpenEntry } from "./commission-store-port.ts";
import type { LedgerEntry } from "./ledger-port.ts";

interface AdjustmentRequest {
  readonly action: AdjustmentAction;
  readonly reasonCode: AdjustmentReason;
  readonly amountMinor?: number;
  readonly note?: string | null;
  /** The client's key for retrying this request safely (scoped to the conversion). */
  readonly idempotencyKey?: string | null;
}

interface Context {
  readonly conversion: ConversionRow;
  readonly currency: string;
  readonly adjustmentId: string;
  readonly request: AdjustmentRequest;
  readonly now: number;
  readonly nextId: () => string;
}

function entryOf(ctx: Context, line: AdjustmentLine, original: OpenEntry | undefined): LedgerEntry {
  const c = ctx.conversion;
  return {
    id: ctx.nextId(),
    conversionId: c.id,
    operatorId: c.operatorId,
    programId: c.programId!,
    affiliateId: line.affiliateId,
    playerKey: original?.playerKey ?? c.playerId,
    kind: "adjustment",
    component: line.component,
    amountMinor: line.amountMinor,
    currency: ctx.currency,
    sourceAmountMinor: null,
    sourceCurrency: null,
    fxRate: null,
    reason: ctx.request.reasonCode,
    windowDays: null,
    reversesEntryId: line.entryId,
    period: periodOf(ctx.now),
    explain: {
      rule: `manual:${ctx.request.action}`,
      inputs: {
        adjustment_id: ctx.adjustmentId,
        reason_code: ctx.request.reasonCode,
        note: ctx.request.note ?? null,
      },
      figure: line.figure,
      text: `${line.text}${ctx.request.note ? ` Note: ${ctx.request.note}` : ""}`,
    },
    occurredAt: ctx.now,
    createdAt: ctx.now,
    ...compensationState(original, ctx.now),
    paidAt: null,
    payoutId: null,
  };
}

function decide(
  ctx: Context,
  open: readonly OpenEntry[],
): { adjustment: Adjustment; entries: LedgerEntry[] } {
  const req = ctx.request;
  const lines =
    req.action === "reject"
      ? rejectLines(open, req.reasonCode)
      : [adjustLine(ctx.conversion.affiliateId!, req.amountMinor!, req.reasonCode)];
  if (!lines.length)
    throw new PostwireError("conflict", "Nothing is left to reject: the conversion's entries net to 0.");
  const entries = lines.map((l) =>
    entryOf(
      ctx,
      l,
      open.find((e) => e.id === l.entryId),
    ),
  );
  const adjustment: Adjustment = {
    id: ctx.adjustmentId,
    conversionId: ctx.conversion.id,
    action: req.action,
    reasonCode: req.reasonCode,
    note: req.note ?? null,
    amountMinor: entries.reduce((s, e) => s + e.amountMinor, 0),
    currency: ctx.currency,
    entries: entries.length,
    createdByKeyId: null,
    createdAt: ctx.now,
  };
  return { adjustment, entries };
}

export async function adjustConversion(
  deps: AdminDeps,
  principal: Principal,
  conversionId: string,
  request: AdjustmentRequest,
) {
  allowRoles(principal, "admin");
  const conversion = await deps.store.getConversion(conversionId);
  if (!conversion) throw notFound("Conversion", conversionId);
  if (conversion.test || conversion.affiliateId === null || conversion.programId === null)
    throw new PostwireError("invalid_request", "Only attributed, non-test conversions carry commissions.");
  if (request.action === "adjust" && !request.amountMinor)
    throw new PostwireError("invalid_field", "An adjustment needs a non-zero amount_minor.", "amount_minor");
  const program = await deps.store.programs.get(conversion.programId);
  if (!program) throw notFound("Program", conversion.programId);
  const ctx: Context = {
    conversion,
    currency: program.currency,
    adjustmentId: deps.ids.next("adj"),
    request,
    now: deps.clock.now(),
    nextId: () => deps.ids.next("le"),
  };
  const result = await deps.store.commissions.adjustConversion(
    conversionId,
    (open) => {
      const out = decide(ctx, open);
      return { ...out, adjustment: { ...out.adjustment, createdByKeyId: principal.keyId } };
    },
    { idempotencyKey: request.idempotencyKey ?? null, effect: forwardAdjustment(deps, conversion) },
  );
  if (result.replayed && !sameRequest(result.adjustment, request)) {
    throw new PostwireError(
      "conflict",
      "This idempotency_key was already used for a different adjustment of this conversion.",
      "idempotency_key",
    );
  }
  return result;
}

/** Whether a retried request asks for what the adjustment made with its key did. */
function sameRequest(made: Adjustment, request: AdjustmentRequest): boolean {
  return (
    made.action === request.action &&
    made.reasonCode === request.reasonCode &&
    made.note === (request.note ?? null) &&
    (request.action !== "adjust" || made.amountMinor === request.amountMinor)
  );
}
