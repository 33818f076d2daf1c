/**
 * The step trace of one postback (DESIGN §5, issue 16): each pipeline step with its inputs and
 * outcome, collected along the way when the postback is traced (test events, validate-only) and
 * stored beside its request-log row. Pure: a plain JSON structure and the helpers that describe a
 * step; the pipeline decides when to collect (never for a plain live postback: no cost there).
 */
import type { ClickResolution, Touch } from "./attribution.ts";
import type { Failure } from "./errors.ts";
import type { ParamMapping, PostbackFields } from "./postback-params.ts";

/** The steps in pipeline order. */
export const TRACE_STEPS = [
  "operator",
  "authentication",
  "mapping",
  "validation",
  "idempotency",
  "attribution",
  "commissions",
  "outbound",
] as const;
export type TraceStepName = (typeof TRACE_STEPS)[number];

export const TRACE_OUTCOMES = ["passed", "failed", "skipped"] as const;
export type TraceOutcome = (typeof TRACE_OUTCOMES)[number];

/**
 * Why the postback was traced: a test event, a validate-only run (nothing stored), asked for by
 * its sender (Postwire-Trace), or rebuilt later from the records of an untraced one.
 */
export const TRACE_MODES = ["test", "validate_only", "requested", "rebuilt"] as const;
export type TraceMode = (typeof TRACE_MODES)[number];

export interface TraceStep {
  readonly step: TraceStepName;
  readonly outcome: TraceOutcome;
  /** One sentence for a person. */
  readonly summary: string;
  /** The step's inputs and findings (JSON values). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface PostbackTrace {
  readonly mode: TraceMode;
  readonly steps: TraceStep[];
  /** What the postback came to, set when the trace is complete (the go-live checklist reads it). */
  result?: TraceResult;
}

/** The answer code, the request's method and where the event belongs (null when not known). */
export interface TraceResult {
  readonly code: string;
  readonly method: string;
  readonly program_id: number | null;
  readonly event: string | null;
  readonly reverses_id: string | null;
}

export function newTrace(mode: TraceMode): PostbackTrace {
  return { mode, steps: [] };
}

export function addStep(
  trace: PostbackTrace,
  step: TraceStepName,
  outcome: TraceOutcome,
  summary: string,
  details: Readonly<Record<string, unknown>> = {},
): void {
  trace.steps.push({ step, outcome, summary, details });
}

/** A refusal as the step that refused it: its code, field, message and diagnostics. */
export function failedStep(
  trace: PostbackTrace,
  step: TraceStepName,
  failure: Failure,
  extra: Readonly<Record<string, unknown>> = {},
): void {
  addStep(trace, step, "failed", failure.message, {
    ...extra,
    code: failure.code,
    ...(failure.field === undefined ? {} : { field: failure.field }),
    ...(failure.details === undefined ? {} : { diagnostics: failure.details }),
  });
}

/** What the operator's parameter and value mapping did to the pairs received. */
export function mappingDetails(
  pairs: ReadonlyArray<readonly [string, string]>,
  mapping: ParamMapping,
): {
  renamed: Array<{ from: string; to: string }>;
  values: Array<{ field: string; from: string; to: string }>;
} {
  const renamed: Array<{ from: string; to: string }> = [];
  const values: Array<{ field: string; from: string; to: string }> = [];
  for (const [raw, value] of pairs) {
    const name = Object.hasOwn(mapping.params, raw) ? mapping.params[raw]! : raw;
    if (name !== raw) renamed.push({ from: raw, to: name });
    const map = Object.hasOwn(mapping.values, name) ? mapping.values[name] : undefined;
    if (map && Object.hasOwn(map, value)) values.push({ field: name, from: value, to: String(map[value]) });
  }
  return { renamed, values };
}

/** Each contract field as validated (absent ones left out). */
export function validatedFields(fields: PostbackFields): Record<string, unknown> {
  const out: Record<string, unknown> = { event: fields.event, txid: fields.txid };
  const optional: Array<[string, unknown]> = [
    ["click_id", fields.clickId],
    ["player_id", fields.playerId],
    ["amount_minor", fields.amountMinor],
    ["currency", fields.currency],
    ["lots_milli", fields.lotsMilli],
    ["reverses", fields.reverses],
    ["sub_id", fields.subId],
    ["program_id", fields.programId],
  ];
  for (const [name, value] of optional) if (value !== undefined) out[name] = value;
  out["occurred_at"] = new Date(fields.occurredAt).toISOString();
  out["occurred_at_given"] = fields.occurredAtGiven;
  out["test"] = fields.test;
  if (Object.keys(fields.extra).length) out["extra"] = fields.extra;
  return out;
}

/** The stored side of an idempotency comparison (a conversion row's content). */
export interface StoredContent {
  readonly event: string;
  readonly clickId: string | null;
  readonly playerId: string | null;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly lotsMilli: number | null;
  readonly occurredAt: number;
  readonly test: boolean;
  readonly subId: string | null;
  readonly extra: Readonly<Record<string, string>>;
}

/** The fields in which a repeated txid differs from the stored event (a `txid_conflict`). */
export function contentDifferences(
  stored: StoredContent,
  fields: PostbackFields,
): Array<{ field: string; stored: unknown; received: unknown }> {
  const pairs: Array<[string, unknown, unknown]> = [
    ["event", stored.event, fields.event],
    ["click_id", stored.clickId, fields.clickId ?? null],
    ["player_id", stored.playerId, fields.playerId ?? null],
    ["amount_minor", stored.amountMinor, fields.amountMinor ?? null],
    ["currency", stored.currency, fields.currency ?? null],
    ["lots_milli", stored.lotsMilli, fields.lotsMilli ?? null],
    ["test", stored.test, fields.test],
    ["sub_id", stored.subId, fields.subId ?? null],
    ["extra", JSON.stringify(stored.extra), JSON.stringify(fields.extra)],
  ];
  if (fields.occurredAtGiven) pairs.push(["occurred_at", stored.occurredAt, fields.occurredAt]);
  return pairs.filter(([, a, b]) => a !== b).map(([field, a, b]) => ({ field, stored: a, received: b }));
}

const touchJson = (touch: Touch) => ({
  click_id: touch.clickId,
  link_id: touch.linkId,
  affiliate_id: touch.affiliateId,
  program_id: touch.programId,
});

/**
 * The attribution step: the click decoded (link, affiliate, age against the program's lookback) or
 * the player binding followed, and the binding the event makes (or, for a test event, would make).
 */
export function attributionDetails(input: {
  readonly click: ClickResolution;
  readonly binding: Touch | undefined;
  readonly touch: Touch | null;
  readonly reason: string | null;
  readonly bindsPlayer: boolean;
  readonly test: boolean;
  readonly occurredAt: number;
  readonly lookbackDays: number | undefined;
}): { outcome: TraceOutcome; summary: string; details: Record<string, unknown> } {
  const { click, binding, touch } = input;
  const details: Record<string, unknown> = {};
  if (click.kind === "touch") {
    const ageSeconds = Math.floor((input.occurredAt - click.clickedAt) / 1000);
    details["click"] = {
      ...touchJson(click.touch),
      clicked_at: new Date(click.clickedAt).toISOString(),
      age_seconds: ageSeconds,
      ...(input.lookbackDays === undefined
        ? {}
        : {
            lookback_days: input.lookbackDays,
            within_lookback: ageSeconds <= input.lookbackDays * 86_400,
          }),
    };
  } else if (click.kind === "invalid") details["click"] = { invalid: click.reason };
  if (binding) details["player_binding"] = touchJson(binding);
  if (input.bindsPlayer)
    details[input.test ? "would_bind_player" : "binds_player"] = touch ? touchJson(touch) : null;
  if (!touch) {
    details["unattributed_reason"] = input.reason;
    return {
      outcome: "passed",
      summary: `Unattributed (${input.reason}): kept for reconciliation.`,
      details,
    };
  }
  details["attributed_to"] = touchJson(touch);
  const how = binding ? "the player's binding" : "the click";
  const test = input.bindsPlayer && input.test ? " A test event binds no player." : "";
  return {
    outcome: "passed",
    summary: `Attributed to affiliate ${touch.affiliateId} through ${how}.${test}`,
    details,
  };
}

/** Where a trace is read (GET, admin API): relative to the service's base URL. */
export const traceUrl = (requestLogId: string): string =>
  `/v1/request-log/${encodeURIComponent(requestLogId)}/trace`;

/** What a traced conversion carries for the last steps' reasons to skip. */
export interface TracedConversion {
  readonly test: boolean;
  readonly affiliateId: number | null;
}

/**
 * Names the steps the pipeline did not reach (or that had nothing to do) as skipped, with why, so
 * every trace lists every step once the first one ran.
 */
export function completeTrace(trace: PostbackTrace, conversion: TracedConversion | undefined): void {
  const failed = trace.steps.find((s) => s.outcome === "failed");
  const duplicate = trace.steps.some((s) => s.step === "idempotency" && s.details["result"] === "duplicate");
  const why = (step: TraceStepName): string => {
    if (failed) return `Not reached: the ${failed.step} step refused the postback.`;
    if (duplicate) return "A duplicate writes nothing new.";
    if (!conversion) return "Not reached.";
    if (step === "commissions" && conversion.test) return "Test events earn no commission.";
    if (conversion.affiliateId === null) return "Unattributed: no affiliate to credit or notify.";
    return step === "commissions"
      ? "No commission: the program has no plan, or nothing was earned."
      : "No endpoint of the affiliate subscribes to this event.";
  };
  for (const step of TRACE_STEPS) {
    if (!trace.steps.some((s) => s.step === step)) addStep(trace, step, "skipped", why(step));
  }
  trace.steps.sort((a, b) => TRACE_STEPS.indexOf(a.step) - TRACE_STEPS.indexOf(b.step));
}
