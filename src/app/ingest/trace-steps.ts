/**
 * The per-request steps of a traced postback (domain/postback-trace.ts): whether to trace at all,
 * and the operator, authentication, mapping and validation steps. The batch adds the rest
 * (postback-outcome.ts: idempotency, attribution; the effects: commissions, outbound).
 */
import type { Failure, Result } from "../../domain/errors.ts";
import type { Operator } from "../../domain/model.ts";
import type { Authenticated } from "../../domain/postback-auth.ts";
import type { ParamMapping, PostbackFields } from "../../domain/postback-params.ts";
import {
  addStep,
  failedStep,
  mappingDetails,
  newTrace,
  type PostbackTrace,
  validatedFields,
} from "../../domain/postback-trace.ts";
import type { PostbackRequest } from "./postback-request.ts";

/** The header that asks for a validate-only run (the whole pipeline, nothing stored). */
export const VALIDATE_ONLY_HEADER = "postwire-validate-only";

/** How the request log marks a validate-only run (before the answer's own reason, if any). */
export const VALIDATE_ONLY_REASON = "Validate-only: nothing stored.";

/** Whether the request asks for a validate-only run (`Postwire-Validate-Only: 1` or `true`). */
export function wantsValidateOnly(request: Pick<PostbackRequest, "headers">): boolean {
  const value = request.headers[VALIDATE_ONLY_HEADER];
  const text = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return text === "1" || text === "true";
}

/** Whether the (mapped) `test` parameter is set: read before validation, so refusals are traced too. */
function isTest(pairs: ReadonlyArray<readonly [string, string]>, mapping: ParamMapping): boolean {
  for (const [raw, value] of pairs) {
    const name = Object.hasOwn(mapping.params, raw) ? mapping.params[raw]! : raw;
    if (name !== "test") continue;
    const map = Object.hasOwn(mapping.values, "test") ? mapping.values["test"] : undefined;
    const mapped = map && Object.hasOwn(map, value) ? String(map[value]) : value;
    return mapped === "1" || mapped === "true";
  }
  return false;
}

/** A new trace, with its operator step, when the postback is traced; undefined for a live one. */
export function startTrace(
  request: PostbackRequest,
  pairs: ReadonlyArray<readonly [string, string]>,
  operator: Operator,
): PostbackTrace | undefined {
  const validateOnly = wantsValidateOnly(request);
  if (!validateOnly && !isTest(pairs, operator.mapping)) return undefined;
  const trace = newTrace(validateOnly ? "validate_only" : "test");
  addStep(trace, "operator", "passed", `Operator ${operator.id} (key ${operator.key}) is active.`, {
    operator_id: operator.id,
    operator_key: operator.key,
  });
  return trace;
}

export function traceAuthentication(
  trace: PostbackTrace,
  result: Result<Authenticated>,
  facts: Record<string, unknown>,
): void {
  if (!result.ok) {
    failedStep(trace, "authentication", result.error, facts);
    return;
  }
  const secret = facts["matched_secret"];
  const how = facts["signed"]
    ? `Signature verified with secret ${String(secret)} of ${String(facts["secrets_live"])}`
    : "No signature required";
  const skew = facts["skew_seconds"] === undefined ? "" : `, skew ${String(facts["skew_seconds"])} s`;
  addStep(trace, "authentication", "passed", `${how}${skew}.`, facts);
}

export function traceFields(
  trace: PostbackTrace,
  pairs: ReadonlyArray<readonly [string, string]>,
  mapping: ParamMapping,
  fields: Result<PostbackFields>,
): void {
  const mapped = mappingDetails(pairs, mapping);
  const count = mapped.renamed.length + mapped.values.length;
  addStep(
    trace,
    "mapping",
    "passed",
    count ? `${count} parameter name(s) or value(s) mapped.` : "No mapping applied.",
    mapped,
  );
  if (!fields.ok) {
    failedStep(trace, "validation", fields.error satisfies Failure);
    return;
  }
  addStep(trace, "validation", "passed", "Every field is valid.", { fields: validatedFields(fields.value) });
}
