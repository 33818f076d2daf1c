/**
 * The conditions every time-ordered list shares (request log, conversions, clicks, deliveries,
 * attempts): a time window and a keyset page start, newest first by (time, id). Those lists page
 * through indexes that end in (time, id).
 */
import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import type { TimeKey } from "../../app/records.ts";
import { limitOf, type SqlValue } from "./sql-driver.ts";

export interface TimeWindow {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly before?: TimeKey | undefined;
}

/** `at >= since`, `at < until` and `(at, id) < before`, for those given. */
export function timeWindow(at: string, id: string, w: TimeWindow): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [];
  if (w.since !== undefined) conditions.push(sql<SqlBool>`${sql.ref(at)} >= ${w.since}`);
  if (w.until !== undefined) conditions.push(sql<SqlBool>`${sql.ref(at)} < ${w.until}`);
  // A row-value comparison, so both engines seek the (time, id) index to the cursor.
  if (w.before !== undefined)
    conditions.push(sql<SqlBool>`(${sql.ref(at)}, ${sql.ref(id)}) < (${w.before.at}, ${w.before.id})`);
  return conditions;
}

/**
 * `query` limited to the rows whose columns equal the `equal` values given (undefined ones are left
 * out) and to the window, newest first by (at, id), one page (`limit`, clamped).
 */
export function newestPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  equal: { readonly [C in keyof DB[TB] & string]?: SqlValue | undefined },
  [at, id]: readonly [keyof DB[TB] & string, keyof DB[TB] & string],
  w: TimeWindow & { readonly limit?: number | undefined },
): SelectQueryBuilder<DB, TB, O> {
  const given = Object.entries(equal).filter(([, value]) => value !== undefined);
  let page = given.length
    ? query.where((eb) => eb.and(Object.fromEntries(given) as Parameters<typeof eb.and>[0]))
    : query;
  for (const condition of timeWindow(at, id, w)) page = page.where(condition);
  return page.orderBy(sql.ref(at), "desc").orderBy(sql.ref(id), "desc").limit(limitOf(w.limit));
}
