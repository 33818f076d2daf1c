/**
 * GET routes over what the hot paths recorded (conversions, request log, clicks, deliveries,
 * attempts): newest first, optionally within a time range, paged by cursor (the (time, id) of the
 * previous page's last row, cursor.ts). Built from what differs: path, filters, schema and wire
 * shape, the row's position, use-case call.
 */
import type { FastifyInstance } from "fastify";
import type { TimeKey } from "../../../../app/records.ts";
import type { Principal } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import { pageOf, timeBefore } from "../../cursor.ts";
import { TIME_RANGE } from "./record-schemas.ts";
import { adminSchema, listOf, msOf, object, PAGE, type Schema } from "./schemas.ts";

/** The query parameters every range list takes. */
export interface RangeQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly since?: string;
  readonly until?: string;
}

/** The range as the use cases take it: epoch milliseconds, and the keyset position. */
export interface Range {
  readonly limit: number;
  readonly since: number | undefined;
  readonly until: number | undefined;
  readonly before: TimeKey | undefined;
}

export interface RangeListRoute<Row, Query extends RangeQuery> {
  readonly path: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /** Query parameters beyond since, until, limit and cursor. */
  readonly filters: Record<string, Schema>;
  readonly item: Schema;
  readonly wire: (row: Row) => unknown;
  /** The row's place in the list's order (the store's keyset). */
  readonly position: (row: Row) => TimeKey;
  readonly load: (principal: Principal, range: Range, query: Query) => Promise<readonly Row[]>;
}

export function rangeListRoute<Row, Query extends RangeQuery>(
  app: FastifyInstance,
  route: RangeListRoute<Row, Query>,
): void {
  const schema = adminSchema({
    summary: route.summary,
    tags: route.tags,
    querystring: object({ ...TIME_RANGE, ...PAGE, ...route.filters }),
    response: { 200: listOf(route.item) },
  });
  app.get(route.path, { schema }, async (request) => {
    // The schema has validated the query; Fastify cannot type it through a generic parameter.
    const query = request.query as Query;
    const range: Range = {
      limit: query.limit,
      since: msOf(query.since),
      until: msOf(query.until),
      before: timeBefore(query.cursor),
    };
    const rows = await route.load(principalOf(request), range, query);
    return pageOf(rows, query.limit, route.wire, (row) => {
      const { at, id } = route.position(row);
      return [at, id];
    });
  });
}
