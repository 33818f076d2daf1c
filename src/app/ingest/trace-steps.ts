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
const VALIDATE_ONLY_HEADER = "postwire-validate-only";

/** How the request log marks a validate-only run (before the answer's own reason, if any). */
export const VALIDATE_ONLY_REASON = "Validate-only: nothing stored.";

/** The header that asks for the trace of a live postback (kept like a test postback's). */
const TRACE_HEADER = "postwire-trace";

/** Whether a flag header is set (`1` or `true`). */
function flagHeader(request: Pick<PostbackRequest, "headers">, name: string): boolean {
  const value = request.headers[name];
  const text = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return text === "1" || text === "true";
}

/** Whether the request asks for a validate-only run (`Postwire-Validate-Only: 1` or `true`). */
function wantsValidateOnly(request: Pick<PostbackRequest, "headers">): boolean {
  return flagHeader(request, VALIDATE_ONLY_HEADER);
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
  const mode = wantsValidateOnly(request)
    ? "validate_only"
    : isTest(pairs, operator.mapping)
      ? "test"
      : flagHeader(request, TRACE_HEADER)
        ? "requested"
        : undefined;
  if (mode === undefined) return undefined;
  const trace = newTrace(mode);
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
