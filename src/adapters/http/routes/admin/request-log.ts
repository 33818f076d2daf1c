/**
 * /v1/request-log: every postback request, newest first, filtered by operator, program, outcome,
 * status, code, txid and time; one entry with its raw request, answer and conversion; and the
 * filtered list as a CSV export (every matching row, streamed a page at a time).
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import Type, { type Static } from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import type { RequestLogFilter } from "../../../../app/admin/entities-port.ts";
import { getRequestLogEntry, searchRequestLog } from "../../../../app/admin/records.ts";
import type { Principal } from "../../../../domain/model.ts";
import { REQUEST_OUTCOMES } from "../../../../domain/request-outcome.ts";
import { principalOf } from "../../api-auth.ts";
import { attachmentNamed } from "../../csv.ts";
import { timeBefore } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { rangeListRoute } from "./range-list-route.ts";
import { conversionJson, REQUEST_LOG_CSV_HEADER, requestLogCsvLines, requestLogJson } from "./record-json.ts";
import { CONVERSION, REQUEST_LOG, TIME_RANGE } from "./record-schemas.ts";
import { adminSchema, CURSOR, ID, msOf, Nullable, OneOf, Strict } from "./schemas.ts";

const TAGS = ["request log"];

/** The filters of the list and of its export. */
const REQUEST_LOG_FILTERS = {
  operator_id: Type.Optional(ID),
  program_id: Type.Optional(ID),
  outcome: Type.Optional(
    OneOf(REQUEST_OUTCOMES, {
      description: "accepted, duplicate, rejected (any non-2xx), unattributed, or test (test-mode events).",
    }),
  ),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: "HTTP status answered." })),
  code: Type.Optional(
    Type.String({ maxLength: 64, description: "Answer code: accepted, invalid_signature…" }),
  ),
  txid: Type.Optional(Type.String({ maxLength: 128 })),
};
const FILTER_QUERY = Strict(REQUEST_LOG_FILTERS);
type FilterQuery = Static<typeof FILTER_QUERY>;

/** The store's filter for the query's fields (the caller's scope is applied by the use case). */
const requestLogFilterOf = (q: FilterQuery): RequestLogFilter => ({
  ...(q.operator_id === undefined ? {} : { operatorId: q.operator_id }),
  ...(q.program_id === undefined ? {} : { programId: q.program_id }),
  ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
  ...(q.status === undefined ? {} : { status: q.status }),
  ...(q.code === undefined ? {} : { code: q.code }),
  ...(q.txid === undefined ? {} : { txid: q.txid }),
});

/** Rows per page of an export. */
const EXPORT_PAGE = 1000;

/** The header, then every entry matching `filter`, newest first, a page at a time, up to `limit`. */
export async function* requestLogCsv(
  deps: AdminDeps,
  principal: Principal,
  filter: RequestLogFilter,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<string> {
  // The scope is checked before the first byte, so a refusal is an error answer, not a cut file.
  let rows = await searchRequestLog(deps, principal, { ...filter, limit: Math.min(EXPORT_PAGE, limit) });
  yield REQUEST_LOG_CSV_HEADER;
  let left = limit;
  for (;;) {
    if (rows.length) yield requestLogCsvLines(rows);
    left -= rows.length;
    const want = Math.min(EXPORT_PAGE, left);
    if (rows.length < EXPORT_PAGE || want <= 0) return;
    const last = rows.at(-1)!;
    rows = await searchRequestLog(deps, principal, {
      ...filter,
      before: { at: last.receivedAt, id: last.id },
      limit: want,
    });
  }
}

export async function requestLogRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  rangeListRoute(app, {
    path: "/request-log",
    summary: "Search the postback request log, newest first (admin, or the operator's own)",
    tags: TAGS,
    filters: REQUEST_LOG_FILTERS,
    item: REQUEST_LOG,
    toJson: requestLogJson,
    position: (row) => ({ at: row.receivedAt, id: row.id }),
    load: (principal, range, q) => searchRequestLog(deps, principal, { ...range, ...requestLogFilterOf(q) }),
  });

  const csvQuery = Strict({
    ...TIME_RANGE,
    ...REQUEST_LOG_FILTERS,
    cursor: Type.Optional(CURSOR),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000_000, description: "At most this many rows." }),
    ),
  });
  const csv = adminSchema({
    summary: "The filtered request log as CSV, newest first (every matching row)",
    tags: TAGS,
    querystring: csvQuery,
    response: {
      200: {
        description: "RFC 4180 CSV, a header line first.",
        content: { "text/csv": { schema: Type.String() } },
      },
    },
  });
  typed(app).get("/request-log.csv", { schema: csv }, async (request, reply) => {
    const q = request.query;
    const filter: RequestLogFilter = {
      ...requestLogFilterOf(q),
      since: msOf(q.since),
      until: msOf(q.until),
      before: timeBefore(q.cursor),
    };
    const lines = requestLogCsv(deps, principalOf(request), filter, q.limit);
    // The first page is read (and the caller's scope checked) before the headers go out.
    const first = await lines.next();
    async function* rest() {
      if (!first.done) yield first.value;
      yield* lines;
    }
    return (reply as FastifyReply)
      .type("text/csv; charset=utf-8")
      .header("content-disposition", attachmentNamed("request-log.csv"))
      .send(Readable.from(rest()));
  });

  const one = adminSchema({
    summary: "One request-log entry: raw request, answer, latency and its conversion",
    tags: TAGS,
    params: Strict({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: {
      200: Type.Object({
        ...REQUEST_LOG.properties,
        conversion: Nullable(CONVERSION, { description: "The conversion it created or named." }),
      }),
    },
  });
  typed(app).get("/request-log/:id", { schema: one }, async (request) => {
    const { entry, conversion } = await getRequestLogEntry(deps, principalOf(request), request.params.id);
    return { ...requestLogJson(entry), conversion: conversion ? conversionJson(conversion) : null };
  });
}
