/** /v1/conversions/:id/adjustments: a manager rejects or adjusts a conversion (admin only). */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { adjustConversion } from "../../../../app/commissions/adjust-conversion.ts";
import type { Adjustment } from "../../../../app/commissions/commission-store-port.ts";
import { ADJUSTMENT_ACTIONS, ADJUSTMENT_REASONS } from "../../../../domain/commissions/adjust.ts";
import { principalOf } from "../../api-auth.ts";
import { wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { ENTRY, entryJson } from "./commissions-json.ts";
import { adminSchema, iso, listOf, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const S = Type.String();
const ADJUSTMENT = Type.Object({
  id: S,
  conversion_id: S,
  action: S,
  reason_code: S,
  note: Nullable(S),
  amount_minor: Type.Integer(),
  currency: S,
  entries: Type.Integer(),
  created_at: TIME,
});
const adjustmentJson = (a: Adjustment) => ({
  id: a.id,
  conversion_id: a.conversionId,
  action: a.action,
  reason_code: a.reasonCode,
  note: a.note,
  amount_minor: a.amountMinor,
  currency: a.currency,
  entries: a.entries,
  created_at: iso(a.createdAt),
});
const PARAMS = Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function adjustmentRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const create = adminSchema({
    summary: "Reject or adjust a conversion by hand, with a reason code (writes compensating entries)",
    tags: ["commissions"],
    params: PARAMS,
    body: Strict({
      action: OneOf(ADJUSTMENT_ACTIONS),
      reason_code: OneOf(ADJUSTMENT_REASONS),
      amount_minor: Type.Optional(
        Type.Integer({
          minimum: -Number.MAX_SAFE_INTEGER,
          maximum: Number.MAX_SAFE_INTEGER,
          description: "adjust: the signed amount in minor units of the program currency.",
        }),
      ),
      note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
      idempotency_key: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 100,
          description:
            "Your key for this request: a retry with the same key (for this conversion) answers the adjustment it made and writes nothing; the same key with a different request is 409.",
        }),
      ),
    }),
    response: { 201: Type.Object({ adjustment: ADJUSTMENT, entries: Type.Array(ENTRY) }) },
  });
  typed(app).post("/conversions/:id/adjustments", { schema: create }, async (request, reply) => {
    const b = request.body;
    const result = await adjustConversion(deps, principalOf(request), request.params.id, {
      action: b.action,
      reasonCode: b.reason_code,
      ...(b.amount_minor === undefined ? {} : { amountMinor: b.amount_minor }),
      note: b.note ?? null,
      idempotencyKey: b.idempotency_key ?? null,
    });
    return reply
      .status(201)
      .send({ adjustment: adjustmentJson(result.adjustment), entries: result.entries.map(entryJson) });
  });
  const list = adminSchema({
    summary: "The manual adjustments of a conversion (admin only)",
    tags: ["commissions"],
    params: PARAMS,
    response: { 200: listOf(ADJUSTMENT) },
  });
  typed(app).get("/conversions/:id/adjustments", { schema: list }, async (request) => {
    principalOf(request, "admin");
    return wholeList(await deps.store.commissions.listAdjustments(request.params.id), adjustmentJson);
  });
}
