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
import {
  CLICK,
  CONVERSION,
  clickWire,
  conversionWire,
  LIMIT,
  listOf,
  REQUEST_LOG,
  requestLogWire,
  TIME_RANGE,
} from "./record-wire.ts";
import { adminSchema, ID, msOf, object } from "./schemas.ts";

interface Range {
  limit?: number;
  since?: string;
  until?: string;
}
interface ConversionQuery extends Range {
  operator_id?: number;
  affiliate_id?: number;
  program_id?: number;
  attributed?: boolean;
}
interface RequestLogQuery extends Range {
  operator_id?: number;
  code?: string;
  txid?: string;
}
interface ClickQuery extends Range {
  operator_id?: number;
  affiliate_id?: number;
  link_id?: number;
}

const rangeOf = (q: Range) => ({ limit: q.limit, since: msOf(q.since), until: msOf(q.until) });
const RANGE = { ...TIME_RANGE, limit: LIMIT };

function conversions(app: FastifyInstance, deps: AdminDeps): void {
  const list = adminSchema({
    summary: "List conversions, newest first (operator key: its own; affiliate key: its own)",
    tags: ["conversions"],
    querystring: object({
      ...RANGE,
      operator_id: ID,
      affiliate_id: ID,
      program_id: ID,
      attributed: { type: "boolean" },
    }),
    response: { 200: listOf(CONVERSION) },
  });
  app.get<{ Querystring: ConversionQuery }>("/conversions", { schema: list }, async (request) => {
    const q = request.query;
    const rows = await listConversions(deps, principalOf(request), {
      ...rangeOf(q),
      operatorId: q.operator_id,
      affiliateId: q.affiliate_id,
      programId: q.program_id,
      attributed: q.attributed,
    });
    return { data: rows.map(conversionWire) };
  });
  const one = adminSchema({
    summary: "Get a conversion",
    tags: ["conversions"],
    params: object({ id: { type: "string", minLength: 1, maxLength: 64 } }, ["id"]),
    response: { 200: CONVERSION },
  });
  app.get<{ Params: { id: string } }>("/conversions/:id", { schema: one }, async (request) =>
    conversionWire(await getConversion(deps, principalOf(request), request.params.id)),
  );
}

function requestLog(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "Search the postback request log, newest first (admin, or the operator's own)",
    tags: ["request log"],
    querystring: object({
      ...RANGE,
      operator_id: ID,
      code: { type: "string", maxLength: 64, description: "Answer code: accepted, invalid_signature…" },
      txid: { type: "string", maxLength: 128 },
    }),
    response: { 200: listOf(REQUEST_LOG) },
  });
  app.get<{ Querystring: RequestLogQuery }>("/request-log", { schema }, async (request) => {
    const q = request.query;
    const filter = { ...rangeOf(q), operatorId: q.operator_id, code: q.code, txid: q.txid };
    return { data: (await searchRequestLog(deps, principalOf(request), filter)).map(requestLogWire) };
  });
}

function clicks(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "List clicks, newest first (operator key: its programs'; affiliate key: its own)",
    tags: ["clicks"],
    querystring: object({ ...RANGE, operator_id: ID, affiliate_id: ID, link_id: ID }),
    response: { 200: listOf(CLICK) },
  });
  app.get<{ Querystring: ClickQuery }>("/clicks", { schema }, async (request) => {
    const q = request.query;
    const filter = {
      ...rangeOf(q),
      operatorId: q.operator_id,
      affiliateId: q.affiliate_id,
      linkId: q.link_id,
    };
    return { data: (await listClicks(deps, principalOf(request), filter)).map(clickWire) };
  });
}

export async function recordRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  conversions(app, deps);
  requestLog(app, deps);
  clicks(app, deps);
}
