/**
 * GET routes over what the hot paths recorded (conversions, request log, clicks, deliveries,
 * attempts): newest first in a time range, answered as `{ data }` with no cursor (the caller pages
 * back with `until`). Built from what differs: path, filters, schema and wire shape, use-case call.
 */
import type { FastifyInstance } from "fastify";
import type { Principal } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import { LIMIT, listOf, TIME_RANGE } from "./record-wire.ts";
import { adminSchema, msOf, object, type Schema } from "./schemas.ts";

/** The query parameters every range list takes. */
export interface RangeQuery {
  readonly limit?: number;
  readonly since?: string;
  readonly until?: string;
}

/** The range as the use cases take it: epoch milliseconds. */
export interface Range {
  readonly limit: number | undefined;
  readonly since: number | undefined;
  readonly until: number | undefined;
}

export interface RangeListRoute<Row, Query extends RangeQuery> {
  readonly path: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /** Query parameters beyond since, until and limit. */
  readonly filters: Record<string, Schema>;
  readonly item: Schema;
  readonly wire: (row: Row) => unknown;
  readonly load: (principal: Principal, range: Range, query: Query) => Promise<readonly Row[]>;
}

export function rangeListRoute<Row, Query extends RangeQuery>(
  app: FastifyInstance,
  route: RangeListRoute<Row, Query>,
): void {
  const schema = adminSchema({
    summary: route.summary,
    tags: route.tags,
    querystring: object({ ...TIME_RANGE, limit: LIMIT, ...route.filters }),
    response: { 200: listOf(route.item) },
  });
  app.get(route.path, { schema }, async (request) => {
    // The schema has validated the query; Fastify cannot type it through a generic parameter.
    const query = request.query as Query;
    const range = { limit: query.limit, since: msOf(query.since), until: msOf(query.until) };
    return { data: (await route.load(principalOf(request), range, query)).map(route.wire) };
  });
}
