/**
 * Generic create/get/list/update for the admin entities, driven by a column spec, so the SQL for
 * operators, programs, affiliates and links is written once for both engines.
 */
import type { GuardedEntities, ListFilter } from "../../app/ports.ts";
import { limitOf, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-driver.ts";

type Kind = "plain" | "json" | "bool";
export interface Column {
  readonly field: string;
  readonly column: string;
  readonly kind?: Kind;
}

export interface TableSpec {
  readonly table: string;
  /** Writable columns (id, created_at and updated_at are handled here). */
  readonly columns: readonly Column[];
  /** ListFilter keys this table can filter on, with their column. */
  readonly filters: Partial<Record<keyof ListFilter, string>>;
}

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

export function rowToEntity<T>(spec: TableSpec, row: SqlRow): T {
  const entity: Record<string, unknown> = { id: row["id"] };
  for (const column of spec.columns) entity[column.field] = fromSql(row[column.column] ?? null, column.kind);
  entity["createdAt"] = row["created_at"];
  entity["updatedAt"] = row["updated_at"];
  return entity as T;
}

export function entityTable<T, New extends object>(
  db: SqlExecutor,
  spec: TableSpec,
): GuardedEntities<T, New> {
  const select = `SELECT * FROM ${spec.table}`;
  const get = async (id: number): Promise<T | undefined> => {
    const [row] = await db.all(`${select} WHERE id = ?`, [id]);
    return row ? rowToEntity<T>(spec, row) : undefined;
  };
  // `expected` turns the update into a compare-and-set: it applies only while those columns still
  // hold the values read (JSON compared as the text this table writes).
  const write = async (
    id: number,
    expected: Partial<New>,
    patch: Partial<New>,
    now: number,
  ): Promise<T | undefined> => {
    const sets: string[] = [];
    const guards: string[] = ["id = ?"];
    const params: SqlValue[] = [];
    const guardParams: SqlValue[] = [id];
    for (const column of spec.columns) {
      const value = (patch as Record<string, unknown>)[column.field];
      if (value !== undefined) {
        sets.push(`${column.column} = ?`);
        params.push(toSql(value, column.kind));
      }
      const held = (expected as Record<string, unknown>)[column.field];
      if (held === null) guards.push(`${column.column} IS NULL`);
      else if (held !== undefined) {
        guards.push(`${column.column} = ?`);
        guardParams.push(toSql(held, column.kind));
      }
    }
    sets.push("updated_at = ?");
    params.push(now);
    const sql = `UPDATE ${spec.table} SET ${sets.join(", ")} WHERE ${guards.join(" AND ")}`;
    const changed = await db.run(sql, [...params, ...guardParams]);
    return changed ? get(id) : undefined;
  };
  return {
    async create(input: New, now: number): Promise<T> {
      const values = spec.columns.map((c) => toSql((input as Record<string, unknown>)[c.field], c.kind));
      const [id] = await db.insertMany(
        spec.table,
        [...spec.columns.map((c) => c.column), "created_at", "updated_at"],
        [[...values, now, now]],
        { returning: "id" },
      );
      return (await get(Number(id)))!;
    },
    get,
    async list(filter: ListFilter): Promise<T[]> {
      const where: string[] = [];
      const params: SqlValue[] = [];
      for (const [key, column] of Object.entries(spec.filters)) {
        const value = filter[key as keyof ListFilter];
        if (value !== undefined && key !== "limit" && key !== "after") {
          // A spec may give a whole condition (e.g. a sub-select) instead of a column.
          where.push(column.includes("?") ? column : `${column} = ?`);
          params.push(value);
        }
      }
      if (filter.after !== undefined) {
        where.push("id > ?");
        params.push(filter.after);
      }
      // Clamped: SQLite reads LIMIT -1 as "no limit" and PostgreSQL refuses a negative one.
      params.push(limitOf(filter.limit));
      const sql = `${select}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
      return (await db.all(sql, params)).map((row) => rowToEntity<T>(spec, row));
    },
    update: (id: number, patch: Partial<New>, now: number) => write(id, {}, patch, now),
    updateIf: write,
  };
}

export const OPERATORS: TableSpec = {
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

export const PROGRAMS: TableSpec = {
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

export const AFFILIATES: TableSpec = {
  table: "affiliates",
  columns: [
    { field: "name", column: "name" },
    { field: "email", column: "email" },
    { field: "status", column: "status" },
  ],
  filters: { affiliateId: "id" },
};

export const LINKS: TableSpec = {
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
    operatorId: "program_id IN (SELECT id FROM programs WHERE operator_id = ?)",
  },
};
