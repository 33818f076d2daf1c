/**
 * TypeBox schemas shared by the admin routes. They validate input (bad input answers 400
 * `validation_failed` naming the field), type the request parts and answers (TypeBoxTypeProvider),
 * shape the JSON written and are the source of the OpenAPI document (/openapi.json,
 * @fastify/swagger), so these cannot drift apart.
 */
import Type, { type Static, type TProperties, type TSchema } from "typebox";
import { ERRORS, type ErrorCode } from "../../../../domain/errors.ts";

export const ID = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const TIME = Type.String({ format: "date-time" });
export const NAME = Type.String({ minLength: 1, maxLength: 200 });
export const STRINGS = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 });

/** One of these strings: `{ type: "string", enum }` (Type.Enum leaves the type out). */
export function OneOf<const T extends readonly string[]>(values: T, options: object = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });
}

/**
 * The schema, or null, as a type list (`["integer", "null"]`) rather than Type.Union's anyOf: Ajv
 * coerces scalars, and in an anyOf it would coerce a null into the first branch (0 for an integer).
 */
export function Nullable<T extends TSchema>(schema: T, options: object = {}) {
  const json = schema as { type?: unknown; enum?: unknown[] };
  return Type.Unsafe<Static<T> | null>({
    ...schema,
    ...options,
    type: [json.type, "null"],
    ...(json.enum ? { enum: [...json.enum, null] } : {}),
  });
}

/** An input object: unknown properties are refused naming the field (not silently dropped). */
export function Strict<P extends TProperties>(properties: P, options: object = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

export const idParams = Strict({ id: ID });

export const LIMIT = Type.Integer({ minimum: 1, maximum: 1000, default: 100 });
export const CURSOR = Type.String({
  minLength: 1,
  maxLength: 200,
  description: "The previous page's next_cursor (opaque); omit for the first page.",
});
/** The paging parameters of every paged list (cursor.ts): `limit` always set (its default). */
export const PAGE = { limit: LIMIT, cursor: Type.Optional(CURSOR) };

/** Every list answer: the records and the cursor to the next page (null on the last page). */
export function listOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Nullable(Type.String(), { description: "The next page's cursor; null on the last page." }),
  });
}

/** Every error answer: a stable catalogue code (docs/errors.md), a message, the field if any. */
export const ERROR = Type.Object({
  code: OneOf(Object.keys(ERRORS) as ErrorCode[]),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: "The offending input, when there is one." })),
});

const errorResponse = (description: string) => Type.Object(ERROR.properties, { description });

/** Errors any admin route may answer. */
const ADMIN_ERRORS = {
  400: errorResponse("Error: validation_failed, invalid_field, invalid_json."),
  401: errorResponse("Error: unauthorized."),
  403: errorResponse("Error: forbidden."),
  404: errorResponse("Error: not_found."),
  409: errorResponse("Error: conflict."),
  503: errorResponse("Error: storage_unavailable; Retry-After given."),
};

export interface RouteDoc {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly params?: TSchema;
  readonly querystring?: TSchema;
  readonly body?: TSchema;
  /** Success responses by status. */
  readonly response: Record<number, unknown>;
}

/**
 * A route's schema: validation, serialisation and its OpenAPI operation (bearer API key). The
 * request types of a route given it come from its TypeBox schemas (TypeBoxTypeProvider).
 */
export function adminSchema<const D extends RouteDoc>(doc: D) {
  return {
    ...doc,
    tags: [...doc.tags],
    security: [{ apiKey: [] }],
    response: { ...ADMIN_ERRORS, ...doc.response },
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
/** An ISO 8601 query value as epoch milliseconds. */
export const msOf = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Date.parse(text);
