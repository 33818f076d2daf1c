/**
 * /v1/reconciliations/{id}/backfill and /backfills (docs/reconciliation.md): ingest a run's missing
 * rows through the postback pipeline, and read the backfills kept (who, when, which txids were
 * asked for, the answers counted, each row's answer and conversion).
 */
import type { FastifyInstance } from "fastify";
import Type, { type TObject } from "typebox";
import { type BackfillDeps, backfillMissing } from "../../../../app/reconcile/backfill-missing.ts";
import type { Backfill, BackfillRow } from "../../../../app/reconcile/reconciliation-port.ts";
import { BACKFILL_STATUSES } from "../../../../app/reconcile/reconciliation-port.ts";
import { backfillRows, listBackfills } from "../../../../app/reconcile/reconciliation-reads.ts";
import { principalOf } from "../../api-auth.ts";
import { idAfter, pageOf, wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { adminSchema, ID, iso, isoOrNull, LIMIT, listOf, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["reconciliation"];
const OUTCOMES = Type.Record(Type.String(), Type.Integer(), {
  description: "Answer codes of the rows ingested (accepted, duplicate, or why a row was refused), counted.",
});
const BACKFILL = Type.Object({
  id: Type.String(),
  reconciliation_id: Type.String(),
  txids: Nullable(Type.Array(Type.String()), {
    description: "The txids asked for; null: every missing row.",
  }),
  status: OneOf(BACKFILL_STATUSES),
  attempted: Type.Integer({ description: "Missing rows ingested by this backfill." }),
  already_done: Type.Integer({ description: "Rows asked for that an earlier backfill had settled." }),
  outcomes: OUTCOMES,
  created_by_key_id: Nullable(ID),
  created_at: TIME,
  finished_at: Nullable(TIME),
});
const BACKFILL_ROW = Type.Object({
  seq: Type.Integer({ description: "The run's row (its seq in /rows)." }),
  txid: Nullable(Type.String()),
  code: Type.String({ description: "How the row was answered." }),
  conversion_id: Nullable(
    Type.String({ description: "The conversion made (accepted) or found (duplicate)." }),
  ),
});

const backfillJson = (b: Backfill) => ({
  id: b.id,
  reconciliation_id: b.reconciliationId,
  txids: b.txids ? [...b.txids] : null,
  status: b.status,
  attempted: b.attempted,
  already_done: b.alreadyDone,
  outcomes: { ...b.outcomes },
  created_by_key_id: b.createdByKeyId,
  created_at: iso(b.createdAt),
  finished_at: isoOrNull(b.finishedAt),
});

const backfillRowJson = (r: BackfillRow) => ({
  seq: r.seq,
  txid: r.txid,
  code: r.code,
  conversion_id: r.conversionId,
});

export async function backfillRoutes(
  app: FastifyInstance,
  deps: BackfillDeps,
  params: TObject<{ id: ReturnType<typeof Type.String> }>,
): Promise<void> {
  const backfill = adminSchema({
    summary: "Ingest the run's missing rows (all, or those of some txids) through the postback pipeline",
    description:
      "Same validation, txid dedupe, attribution, commissions and outbound postbacks as a live postback, with the file's occurred_at; the conversion and request-log row name the run. Rows already settled by an earlier backfill are left alone, so running it twice changes nothing (attempted 0). Each backfill is kept: GET /reconciliations/{id}/backfills. Mismatches are never overwritten.",
    tags: TAGS,
    params,
    body: Type.Optional(
      Strict({
        txids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 10_000 })),
      }),
    ),
    response: {
      200: Type.Object({
        reconciliation_id: Type.String(),
        backfill_id: Type.String({ description: "This backfill's record." }),
        attempted: Type.Integer(),
        outcomes: OUTCOMES,
        already_done: Type.Integer({ description: "Selected rows settled by an earlier backfill." }),
      }),
    },
  });
  typed(app).post("/reconciliations/:id/backfill", { schema: backfill }, async (request) => {
    const txids = request.body?.txids;
    const result = await backfillMissing(deps, principalOf(request), {
      id: request.params.id,
      ...(txids ? { txids } : {}),
    });
    return {
      reconciliation_id: result.reconciliationId,
      backfill_id: result.backfillId,
      attempted: result.attempted,
      outcomes: result.outcomes,
      already_done: result.alreadyDone,
    };
  });

  const list = adminSchema({
    summary: "A run's backfills, newest first (the last 100)",
    tags: TAGS,
    params,
    response: { 200: listOf(BACKFILL) },
  });
  typed(app).get("/reconciliations/:id/backfills", { schema: list }, async (request) =>
    wholeList(await listBackfills(deps, principalOf(request), request.params.id), backfillJson),
  );

  const rows = adminSchema({
    summary: "How each row of one backfill was answered, in the run's order",
    tags: TAGS,
    params: Strict({ ...params.properties, backfill_id: Type.String({ minLength: 1, maxLength: 64 }) }),
    querystring: Strict({ limit: LIMIT, cursor: Type.Optional(Type.String()) }),
    response: { 200: listOf(BACKFILL_ROW) },
  });
  typed(app).get("/reconciliations/:id/backfills/:backfill_id/rows", { schema: rows }, async (request) => {
    const { limit, cursor } = request.query;
    const after = idAfter(cursor);
    const page = await backfillRows(
      deps,
      principalOf(request),
      request.params.id,
      request.params.backfill_id,
      {
        limit,
        ...(after === undefined ? {} : { afterSeq: after }),
      },
    );
    return pageOf(page, limit, backfillRowJson, (r) => [r.seq]);
  });
}
