/** /v1/conversions, /v1/request-log, /v1/clicks: what the hot paths recorded, scoped by role. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  getConversion,
  listClicks,
  listConversions,
  searchRequestLog,
} from "../../../../app/admin/records.ts";
import { principalOf } from "../../api-auth.ts";
import { type RangeQuery, rangeListRoute } from "./range-list-route.ts";
import { clickJson, conversionJson, requestLogJson } from "./record-json.ts";
import { CLICK, CONVERSION, REQUEST_LOG } from "./record-schemas.ts";
import { adminSchema, ID, object } from "./schemas.ts";

interface ConversionQuery extends RangeQuery {
  operator_id?: number;
  affiliate_id?: number;
  program_id?: number;
  attributed?: boolean;
}
interface RequestLogQuery extends RangeQuery {
  operator_id?: number;
  code?: string;
  txid?: string;
}
interface ClickQuery extends RangeQuery {
  operator_id?: number;
  affiliate_id?: number;
  link_id?: number;
}

function conversions(app: FastifyInstance, deps: AdminDeps): void {
  rangeListRoute(app, {
    path: "/conversions",
    summary: "List conversions, newest first (operator key: its own; affiliate key: its own)",
    tags: ["conversions"],
    filters: { operator_id: ID, affiliate_id: ID, program_id: ID, attributed: { type: "boolean" } },
    item: CONVERSION,
    wire: conversionJson,
    position: (row) => ({ at: row.receivedAt, id: row.id }),
    load: (principal, range, q: ConversionQuery) =>
      listConversions(deps, principal, {
        ...range,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
        programId: q.program_id,
        attributed: q.attributed,
      }),
  });
  const one = adminSchema({
    summary: "Get a conversion",
    tags: ["conversions"],
    params: object({ id: { type: "string", minLength: 1, maxLength: 64 } }, ["id"]),
    response: { 200: CONVERSION },
  });
  app.get<{ Params: { id: string } }>("/conversions/:id", { schema: one }, async (request) =>
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
      operator_id: ID,
      code: { type: "string", maxLength: 64, description: "Answer code: accepted, invalid_signature…" },
      txid: { type: "string", maxLength: 128 },
    },
    item: REQUEST_LOG,
    wire: requestLogJson,
    position: (row) => ({ at: row.receivedAt, id: row.id }),
    load: (principal, range, q: RequestLogQuery) =>
      searchRequestLog(deps, principal, { ...range, operatorId: q.operator_id, code: q.code, txid: q.txid }),
  });
  rangeListRoute(app, {
    path: "/clicks",
    summary: "List clicks, newest first (operator key: its programs'; affiliate key: its own)",
    tags: ["clicks"],
    filters: { operator_id: ID, affiliate_id: ID, link_id: ID },
    item: CLICK,
    wire: clickJson,
    position: (row) => ({ at: row.createdAt, id: row.clickId }),
    load: (principal, range, q: ClickQuery) =>
      listClicks(deps, principal, {
        ...range,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
        linkId: q.link_id,
      }),
  });
}
