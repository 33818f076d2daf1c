/**
 * GET /v1/programs/{id}/checklist and POST /v1/programs/{id}/checklist/reset: the go-live checklist
 * (contract check) of a program, shaped for a console page: ordered items, each with its state,
 * the evidence that ticked it (with its trace) and what to send to tick it.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  type ChecklistView,
  programChecklist,
  resetProgramChecklist,
} from "../../../../app/admin/go-live-checklist.ts";
import { CHECK_KINDS, CHECK_STATES } from "../../../../domain/go-live-checklist.ts";
import { traceUrl } from "../../../../domain/postback-trace.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { adminSchema, ID, idParams, iso, Nullable, OneOf, TIME } from "./schemas.ts";

const ITEM = Type.Object({
  id: Type.String({
    description:
      "Stable id: event:<type>, retry_duplicate, reversal_linked, signed_get, signed_post, wrong_signature_refused",
  }),
  kind: OneOf(CHECK_KINDS),
  title: Type.String(),
  event: Type.Optional(Type.String()),
  required_fields: Type.Optional(Type.Array(Type.String())),
  state: OneOf(CHECK_STATES),
  evidence: Nullable(
    Type.Object({ request_log_id: Type.String(), received_at: TIME, trace_url: Type.String() }),
  ),
  hint: Type.String(),
});

const CHECKLIST = Type.Object({
  program_id: ID,
  ready: Type.Boolean({ description: "Every needed item passed: ready to go live." }),
  reset_at: Nullable(TIME),
  items: Type.Array(ITEM),
  missing: Type.Array(Type.String()),
});

function checklistJson(view: ChecklistView) {
  return {
    program_id: view.programId,
    ready: view.ready,
    reset_at: view.resetAt === null ? null : iso(view.resetAt),
    items: view.items.map((i) => ({
      id: i.id,
      kind: i.kind,
      title: i.title,
      ...(i.event === undefined ? {} : { event: i.event }),
      ...(i.requiredFields === undefined ? {} : { required_fields: [...i.requiredFields] }),
      state: i.state,
      evidence: i.evidence
        ? {
            request_log_id: i.evidence.requestLogId,
            received_at: iso(i.evidence.receivedAt),
            trace_url: traceUrl(i.evidence.requestLogId),
          }
        : null,
      hint: i.hint,
    })),
    missing: [...view.missing],
  };
}

export async function checklistRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const get = adminSchema({
    summary: "The go-live checklist of a program (admin, or the program's operator)",
    description:
      "Ticks as the operator's test postbacks (and validate-only runs) arrive and pass: each event type the program allows, a retry answered duplicate, a reversal linked to its original, a signed GET and a signed POST (each method used), a wrong signature refused. `ready` when every needed item passed.",
    tags: ["programs"],
    params: idParams,
    response: { 200: CHECKLIST },
  });
  typed(app).get("/programs/:id/checklist", { schema: get }, async (request) =>
    checklistJson(await programChecklist(deps, principalOf(request), request.params.id)),
  );
  const reset = adminSchema({
    summary: "Reset a program's go-live checklist: only postbacks from now on count",
    tags: ["programs"],
    params: idParams,
    response: { 200: CHECKLIST },
  });
  typed(app).post("/programs/:id/checklist/reset", { schema: reset }, async (request) =>
    checklistJson(await resetProgramChecklist(deps, principalOf(request), request.params.id)),
  );
}
