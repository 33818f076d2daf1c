/**
 * The one paging style of every list: `{ data, next_cursor }`, and the next page asked for with
 * `cursor` = the previous page's `next_cursor` (null on the last page). A cursor is opaque to
 * clients: base64url of the JSON of the store's keyset position after the page's last row — an id
 * (entity lists), a text id (ledger entries, payouts) or a (time, id) pair (time-ordered lists).
 * A cursor that does not decode to the position the list expects answers 400 `validation_failed`
 * naming `cursor`; it never widens what the caller may see (scoping is applied as ever).
 */
import type { TimeKey } from "../../app/records.ts";
import { PostwireError } from "../../domain/errors.ts";

/** Every list answer. */
export interface ListPage<T> {
  readonly data: T[];
  /** The next page's `cursor`; null when this page is the last. */
  readonly next_cursor: string | null;
}

type Position = readonly (number | string)[];

const encode = (position: Position): string => Buffer.from(JSON.stringify(position)).toString("base64url");

/** The refusal of a cursor that is not one the list gave out. */
export function invalidCursor(): PostwireError {
  return new PostwireError(
    "validation_failed",
    "cursor is not one this list gave out: pass the previous page's next_cursor unchanged.",
    "cursor",
  );
}

function decode(cursor: string): unknown[] {
  // base64url only (Buffer would skip other characters silently).
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value)) return value;
  } catch {
    // Not JSON: refused below.
  }
  throw invalidCursor();
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isText = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= 64;

/** An entity list's position: the id of the page's last row. */
export function idAfter(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const [id, ...rest] = decode(cursor);
  if (!isId(id) || rest.length) throw invalidCursor();
  return id;
}

/** A list keyed by a text id (ledger entries, payouts): the id of the page's last row. */
export function textAfter(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const [id, ...rest] = decode(cursor);
  if (!isText(id) || rest.length) throw invalidCursor();
  return id;
}

/** A newest-first list's position: the (time, id) of the page's last row. */
export function timeBefore(cursor: string | undefined): TimeKey | undefined {
  if (cursor === undefined) return undefined;
  const [at, id, ...rest] = decode(cursor);
  if (!isId(at) || !isText(id) || rest.length) throw invalidCursor();
  return { at, id };
}

/**
 * A page of `rows` read with `limit`: a full page may have more after it (its last row's position
 * is the cursor), a short one is the last. Lists the store answers whole pass no `positionOf`.
 */
export function pageOf<Row, Wire>(
  rows: readonly Row[],
  limit: number,
  wire: (row: Row) => Wire,
  positionOf?: (row: Row) => Position,
): ListPage<Wire> {
  const last = rows.at(-1);
  const full = positionOf !== undefined && last !== undefined && rows.length >= limit;
  return { data: rows.map(wire), next_cursor: full ? encode(positionOf(last)) : null };
}

/** A list answered whole (short by nature: a program's plans, the FX rates…). */
export function wholeList<Row, Wire>(rows: readonly Row[], wire: (row: Row) => Wire): ListPage<Wire> {
  return { data: rows.map(wire), next_cursor: null };
}
