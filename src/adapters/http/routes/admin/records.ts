/** /v1/conversions and /v1/clicks: what the hot paths recorded, scoped by role (request log: request-log.ts). */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { getConversion, listClicks, listConversions } from "../../../../app/admin/records.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { rangeListRoute } from "./range-list-route.ts";
import { clickJson, conversionJson } from "./record-json.ts";
import { CLICK, CONVERSION } from "./record-schemas.ts";
import { adminSchema, ID, msOf, Strict } from "./schemas.ts";

const OPTIONAL_ID = Type.Optional(ID);

function conversions(app: FastifyInstance, deps: AdminDeps): void {
  rangeListRoute(app, {
    path: "/conversions",
    summary: "List conversions, newest first (operator key: its own; affiliate key: its own)",
    tags: ["conversions"],
    filters: {
      operator_id: OPTIONAL_ID,
      affiliate_id: OPTIONAL_ID,
      program_id: OPTIONAL_ID,
      attributed: Type.Optional(Type.Boolean()),
      event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "Event type: ftd…" })),
      test: Type.Optional(
        Type.Boolean({ description: "Test-mode events only (true) or live ones only (false)." }),
      ),
      occurred_since: Type.Optional(
        Type.String({ format: "date-time", description: "Event time (occurred_at) from (inclusive)." }),
      ),
      occurred_until: Type.Optional(
        Type.String({ format: "date-time", description: "Event time (occurred_at) before (exclusive)." }),
      ),
    },
    item: CONVERSION,
    toJson: conversionJson,
    position: (row) => ({ at: row.receivedAt, id: row.id }),
    load: (principal, range, q) =>
      listConversions(deps, principal, {
        ...range,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
        programId: q.program_id,
        attributed: q.attributed,
        event: q.event,
        test: q.test,
        occurredSince: msOf(q.occurred_since),
        occurredUntil: msOf(q.occurred_until),
      }),
  });
  const one = adminSchema({
    summary: "Get a conversion",
    tags: ["conversions"],
    params: Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: { 200: CONVERSION },
  });
  typed(app).get("/conversions/:id", { schema: one }, async (request) =>
    conversionJson(await getConversion(deps, principalOf(request), request.params.id)),
  );
}

export async function recordRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  conversions(app, deps);
  rangeListRoute(app, {
    path: "/clicks",
    summary: "List clicks, newest first (operator key: its programs'; affiliate key: its own)",
    tags: ["clicks"],
    filters: { operator_id: OPTIONAL_ID, affiliate_id: OPTIONAL_ID, link_id: OPTIONAL_ID },
    item: CLICK,
    toJson: clickJson,
    position: (row) => ({ at: row.createdAt, id: row.clickId }),
    load: (principal, range, q) =>
      listClicks(deps, principal, {
        ...range,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
        linkId: q.link_id,
      }),
  });
}
