/**
 * Generic create/get/list/update for the admin entities, driven by a column spec, so the queries
 * for operators, programs, affiliates, links and endpoints are written once for both engines (built
 * with Kysely, sql-dialect.ts). The specs' column names are checked against the schema (database.ts).
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from "kysely";
import type { GuardedEntities, ListFilter } from "../../app/admin/entities-port.ts";
import type { Database } from "./database.ts";
import { changesOf, firstOf, rowsOf } from "./query.ts";
import { limitOf, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-driver.ts";

/** The tables with an id, timestamps and a spec here. */
export type EntityTableName =
  | "operators"
  | "programs"
  | "affiliates"
  | "links"
  | "endpoints"
  | "alert_webhooks";

type Kind = "plain" | "json" | "bool";
export interface Column<N extends EntityTableName = EntityTableName> {
  readonly field: string;
  readonly column: keyof Database[N] & string;
  readonly kind?: Kind;
}

/** A ListFilter key's condition: a column equal to the value, or a condition of its own. */
type Filter<N extends EntityTableName> =
  | (keyof Database[N] & string)
  | ((eb: ExpressionBuilder<Database, N>, value: number) => Expression<SqlBool>);

export interface TableSpec<N extends EntityTableName = EntityTableName> {
  readonly table: N;
  /** Writable columns (id, created_at and updated_at are handled here). */
  readonly columns: readonly Column<N>[];
  /** ListFilter keys this table can filter on (not limit and after). */
  readonly filters: Partial<Record<"operatorId" | "affiliateId" | "programId", Filter<N>>>;
}

/** The spec of any one entity table. */
export type AnyTableSpec = { [N in EntityTableName]: TableSpec<N> }[EntityTableName];

/**
 * The builder over any entity table. Kysely cannot type a query over a table chosen at run time,
 * so the generic code here uses this loose view; the specs' names are typed where they are written.
 */
export type LooseBuilder = Kysely<Record<string, Record<string, SqlValue>>>;
type LooseExpressions = ExpressionBuilder<Record<string, Record<string, SqlValue>>, string>;

function toSql(value: unknown, kind: Kind | undefined): SqlValue {
  if (value === undefined || value === null) return null;
  if (kind === "json") return JSON.stringify(value);
  if (kind === "bool") return value ? 1 : 0;
  return value as SqlValue;
}

function fromSql(value: SqlValue, kind: Kind | undefined): unknown {
  if (kind === "json") return value === null ? null : JSON.parse(String(value));
  if (kind === "bool") return Number(value) === 1;
  return value;
}

export function rowToEntity<T>(spec: AnyTableSpec, row: SqlRow): T {
  const entity: Record<string, unknown> = { id: row["id"] };
  for (const column of spec.columns) entity[column.field] = fromSql(row[column.column] ?? null, column.kind);
  entity["createdAt"] = row["created_at"];
  entity["updatedAt"] = row["updated_at"];
  return entity as T;
}

/** The spec's conditions for the filter's given values, and the keyset start. */
function listConditions(spec: AnyTableSpec, filter: ListFilter) {
  type AnyFilter = string | ((eb: LooseExpressions, value: number) => Expression<SqlBool>);
  return (eb: LooseExpressions): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    for (const [key, condition] of Object.entries(spec.filters) as Array<[keyof ListFilter, AnyFilter]>) {
      const value = filter[key];
      if (value === undefined) continue;
      conditions.push(typeof condition === "string" ? eb(condition, "=", value) : condition(eb, value));
    }
    if (filter.after !== undefined) conditions.push(eb("id", ">", filter.after));
    return eb.and(conditions);
  };
}

export function entityTable<T, New extends object>(
  db: SqlExecutor,
  builder: Kysely<Database>,
  spec: AnyTableSpec,
): GuardedEntities<T, New> {
  const loose = builder as unknown as LooseBuilder;
  const get = async (id: number): Promise<T | undefined> => {
    const row = await firstOf(db, loose.selectFrom(spec.table).selectAll().where("id", "=", id));
    return row ? rowToEntity<T>(spec, row) : undefined;
  };
  // `expected` turns the update into a compare-and-set: it applies only while those columns still
  // hold the values read (JSON compared as the text this table writes).
  const write = async (id: number, expected: Partial<New>, patch: Partial<New>, now: number) => {
    const sets: Record<string, SqlValue> = {};
    let update = loose.updateTable(spec.table).where("id", "=", id);
    for (const column of spec.columns) {
      const value = (patch as Record<string, unknown>)[column.field];
      if (value !== undefined) sets[column.column] = toSql(value, column.kind);
      const held = (expected as Record<string, unknown>)[column.field];
      if (held === null) update = update.where(column.column, "is", null);
      else if (held !== undefined) update = update.where(column.column, "=", toSql(held, column.kind));
    }
    const changed = await changesOf(db, update.set({ ...sets, updated_at: now }));
    return changed ? get(id) : undefined;
  };
  return {
    async create(input: New, now: number): Promise<T> {
      const values: Record<string, SqlValue> = { created_at: now, updated_at: now };
      for (const c of spec.columns)
        values[c.column] = toSql((input as Record<string, unknown>)[c.field], c.kind);
      const inserted = await firstOf(db, loose.insertInto(spec.table).values(values).returning("id"));
      return (await get(Number(inserted!["id"])))!;
    },
    get,
    async list(filter: ListFilter): Promise<T[]> {
      const query = loose
        .selectFrom(spec.table)
        .selectAll()
        .where(listConditions(spec, filter))
        .orderBy("id")
        // Clamped: SQLite reads LIMIT -1 as "no limit" and PostgreSQL refuses a negative one.
        .limit(limitOf(filter.limit));
      return (await rowsOf(db, query)).map((row) => rowToEntity<T>(spec, row));
    },
    update: (id: number, patch: Partial<New>, now: number) => write(id, {}, patch, now),
    updateIf: write,
  };
}

export const OPERATORS: TableSpec<"operators"> = {
  table: "operators",
  columns: [
    { field: "name", column: "name" },
    { field: "key", column: "key" },
    { field: "status", column: "status" },
    { field: "auth", column: "auth", kind: "json" },
    { field: "mapping", column: "mapping", kind: "json" },
  ],
  filters: { operatorId: "id" },
};

export const PROGRAMS: TableSpec<"programs"> = {
  table: "programs",
  columns: [
    { field: "operatorId", column: "operator_id" },
    { field: "name", column: "name" },
    { field: "vertical", column: "vertical" },
    { field: "currency", column: "currency" },
    { field: "landingUrlTemplate", column: "landing_url_template" },
    { field: "fallbackUrl", column: "fallback_url" },
    { field: "allowedEvents", column: "allowed_events", kind: "json" },
    { field: "lookbackDays", column: "lookback_days" },
    { field: "status", column: "status" },
  ],
  filters: { operatorId: "operator_id", programId: "id" },
};

export const AFFILIATES: TableSpec<"affiliates"> = {
  table: "affiliates",
  columns: [
    { field: "name", column: "name" },
    { field: "email", column: "email" },
    { field: "status", column: "status" },
  ],
  filters: { affiliateId: "id" },
};

export const LINKS: TableSpec<"links"> = {
  table: "links",
  columns: [
    { field: "code", column: "code" },
    { field: "affiliateId", column: "affiliate_id" },
    { field: "programId", column: "program_id" },
    { field: "status", column: "status" },
    { field: "landingUrlTemplate", column: "landing_url_template" },
  ],
  filters: {
    affiliateId: "affiliate_id",
    programId: "program_id",
    // One query however many links: the operator's programs as a sub-select.
    operatorId: (eb, id) =>
      eb("program_id", "in", eb.selectFrom("programs").select("id").where("operator_id", "=", id)),
  },
};
