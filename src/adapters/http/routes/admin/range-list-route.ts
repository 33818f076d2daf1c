/**
 * GET routes over what the hot paths recorded (conversions, request log, clicks, deliveries,
 * attempts): newest first, optionally within a time range, paged by cursor (the (time, id) of the
 * previous page's last row, cursor.ts). Built from what differs: path, filters, schema and wire
 * shape, the row's position, use-case call.
 */
import type { FastifyInstance } from "fastify";
import type { Static, TObject, TProperties, TSchema } from "typebox";
import type { TimeKey } from "../../../../app/records.ts";
import type { Principal } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import { pageOf, timeBefore } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { TIME_RANGE } from "./record-schemas.ts";
import { adminSchema, listOf, msOf, PAGE, Strict } from "./schemas.ts";

/** The range as the use cases take it: epoch milliseconds, and the keyset position. */
export interface Range {
  readonly limit: number;
  readonly since: number | undefined;
  readonly until: number | undefined;
  readonly before: TimeKey | undefined;
}

const RANGE_QUERY = Strict({ ...TIME_RANGE, ...PAGE });

export interface RangeListRoute<Row, F extends TProperties> {
  readonly path: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /** Query parameters beyond since, until, limit and cursor (each Type.Optional). */
  readonly filters: F;
  readonly item: TSchema;
  readonly toJson: (row: Row) => unknown;
  /** The row's place in the list's order (the store's keyset). */
  readonly position: (row: Row) => TimeKey;
  readonly load: (principal: Principal, range: Range, query: Static<TObject<F>>) => Promise<readonly Row[]>;
}

export function rangeListRoute<Row, F extends TProperties>(
  app: FastifyInstance,
  route: RangeListRoute<Row, F>,
): void {
  const schema = adminSchema({
    summary: route.summary,
    tags: route.tags,
    querystring: Strict({ ...RANGE_QUERY.properties, ...route.filters }),
    response: { 200: listOf(route.item) },
  });
  typed(app).get(route.path, { schema }, async (request) => {
    // Merged with generic filters, the query's type stays unresolved: read it as the two parts.
    const query = request.query as Static<typeof RANGE_QUERY> & Static<TObject<F>>;
    const range: Range = {
      limit: query.limit,
      since: msOf(query.since),
      until: msOf(query.until),
      before: timeBefore(query.cursor),
    };
    const rows = await route.load(principalOf(request), range, query);
    return pageOf(rows, query.limit, route.toJson, (row) => {
      const { at, id } = route.position(row);
      return [at, id];
    });
  });
}
