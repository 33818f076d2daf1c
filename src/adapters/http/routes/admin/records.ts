/** /v1/conversions, /v1/request-log, /v1/clicks: what the hot paths recorded, scoped by role. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  getConversion,
  listClicks,
  listConversions,
  searchRequestLog,
} from "../../../../app/admin/records.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { rangeListRoute } from "./range-list-route.ts";
import { clickJson, conversionJson, requestLogJson } from "./record-json.ts";
import { CLICK, CONVERSION, REQUEST_LOG } from "./record-schemas.ts";
import { adminSchema, ID, Strict } from "./schemas.ts";

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
      test: Type.Optional(Type.Boolean({ description: "Test events only (true) or live only (false)" })),
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
        test: q.test,
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
    path: "/request-log",
    summary: "Search the postback request log, newest first (admin, or the operator's own)",
    tags: ["request log"],
    filters: {
      operator_id: OPTIONAL_ID,
      code: Type.Optional(
        Type.String({ maxLength: 64, description: "Answer code: accepted, invalid_signature…" }),
      ),
      txid: Type.Optional(Type.String({ maxLength: 128 })),
    },
    item: REQUEST_LOG,
    toJson: requestLogJson,
    position: (row) => ({ at: row.receivedAt, id: row.id }),
    load: (principal, range, q) =>
      searchRequestLog(deps, principal, { ...range, operatorId: q.operator_id, code: q.code, txid: q.txid }),
  });
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
