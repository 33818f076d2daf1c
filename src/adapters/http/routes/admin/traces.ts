/** GET /v1/request-log/{id}/trace: the step trace of a traced postback (test, validate-only). */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { getPostbackTrace, getSignatureEvidence } from "../../../../app/admin/postback-traces.ts";
import { TRACE_MODES, TRACE_OUTCOMES, TRACE_STEPS } from "../../../../domain/postback-trace.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { adminSchema, ID, iso, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const STEP = Type.Object({
  step: OneOf(TRACE_STEPS),
  outcome: OneOf(TRACE_OUTCOMES),
  summary: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const TRACE = Type.Object({
  request_log_id: Type.String(),
  operator_id: Nullable(ID),
  received_at: TIME,
  mode: OneOf(TRACE_MODES),
  result: Nullable(
    Type.Object(
      {
        code: Type.String(),
        method: Type.String(),
        program_id: Nullable(ID),
        event: Nullable(Type.String()),
        reverses_id: Nullable(Type.String()),
      },
      { description: "What the postback came to: the answer code, the method, where the event belongs." },
    ),
  ),
  steps: Type.Array(STEP),
});

export async function traceRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const schema = adminSchema({
    summary: "The step trace of a traced postback (admin, or the operator's own)",
    description:
      "Each pipeline step with its inputs and outcome: operator, authentication, mapping, validation, idempotency, attribution, commissions, outbound. Kept for test postbacks, validate-only runs and postbacks sent with Postwire-Trace: 1 (linked from their answer's trace_url); for any other entry, rebuilt from the records (mode rebuilt).",
    tags: ["request log"],
    params: Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: { 200: TRACE },
  });
  typed(app).get("/request-log/:id/trace", { schema }, async (request) => {
    const view = await getPostbackTrace(deps, principalOf(request), request.params.id);
    return {
      request_log_id: view.requestLogId,
      operator_id: view.operatorId,
      received_at: iso(view.receivedAt),
      mode: view.mode,
      result: view.trace.result ?? null,
      steps: view.trace.steps.map((s) => ({ ...s, details: { ...s.details } })),
    };
  });
  const signature = adminSchema({
    summary: "What a refused signature was checked over (admin, or the operator's own)",
    description:
      "For invalid_signature and signature_expired refusals: GET, the query as received (sig included: a signature is not a secret; a token is redacted); POST, webhook-id, webhook-timestamp, webhook-signature and the body (base64). With the secret, `postwire postback verify --log-entry` reproduces the check. The secret is never stored.",
    tags: ["request log"],
    params: Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: {
      200: Type.Object({
        request_log_id: Type.String(),
        received_at: TIME,
        method: OneOf(["GET", "POST"] as const),
        query: Type.Optional(Type.String()),
        webhook_id: Type.Optional(Nullable(Type.String())),
        webhook_timestamp: Type.Optional(Nullable(Type.String())),
        webhook_signature: Type.Optional(Nullable(Type.String())),
        content_type: Type.Optional(Nullable(Type.String())),
        body_base64: Type.Optional(Type.String({ description: "At most the first 65536 bytes." })),
        body_bytes: Type.Optional(Type.Integer({ description: "The body's size, when it was cut." })),
      }),
    },
  });
  typed(app).get("/request-log/:id/signature", { schema: signature }, async (request) => {
    const found = await getSignatureEvidence(deps, principalOf(request), request.params.id);
    return {
      ...(found.material as { method: "GET" | "POST" }),
      request_log_id: request.params.id,
      received_at: iso(found.receivedAt),
    };
  });
}
