/**
 * JSON schemas shared by the admin routes. They validate input (bad input answers 400
 * `validation_failed` naming the field), shape the JSON written, and are the source of the
 * OpenAPI document (/openapi.json), so the three cannot drift apart.
 */
import type { FastifySchema } from "fastify";
import { ERRORS, type ErrorCode } from "../../../../domain/errors.ts";

export type Schema = Record<string, unknown>;

export const ID = { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const TIME = { type: "string", format: "date-time" } as const;
export const NAME = { type: "string", minLength: 1, maxLength: 200 } as const;
export const STRINGS = { type: "array", items: { type: "string", maxLength: 100 }, maxItems: 100 } as const;

/** The schema, or null. */
export const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema["type"], "null"] });

/** An object with exactly these properties (unknown ones are refused naming the field). */
export function object(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return { type: "object", properties, required: [...required], additionalProperties: false };
}

/** A response object: every property always present (null when empty). */
export function record(properties: Record<string, Schema>): Schema {
  return { type: "object", properties, required: Object.keys(properties) };
}

export const idParams = object({ id: ID }, ["id"]);

export const LIMIT = { type: "integer", minimum: 1, maximum: 1000, default: 100 } as const;
export const CURSOR = {
  type: "string",
  minLength: 1,
  maxLength: 200,
  description: "The previous page's next_cursor (opaque); omit for the first page.",
} as const;
/** The paging parameters of every paged list (cursor.ts). */
export const PAGE = { limit: LIMIT, cursor: CURSOR } as const;

/** Every list answer: the records and the cursor to the next page (null on the last page). */
export function listOf(item: Schema): Schema {
  return record({
    data: { type: "array", items: item },
    next_cursor: nullable({ type: "string", description: "The next page's cursor; null on the last page." }),
  });
}

/** Every error answer: a stable catalogue code (docs/errors.md), a message, the field if any. */
export const ERROR: Schema = {
  type: "object",
  properties: {
    code: { type: "string", enum: Object.keys(ERRORS) },
    message: { type: "string" },
    field: { type: "string", description: "The offending input, when there is one." },
  },
  required: ["code", "message"],
};

const errorResponse = (...codes: ErrorCode[]): Schema => ({
  ...ERROR,
  description: `Error: ${codes.join(", ")}.`,
});

/** Errors any admin route may answer. */
const ADMIN_ERRORS: Record<number, Schema> = {
  400: errorResponse("validation_failed", "invalid_field", "invalid_json"),
  401: errorResponse("unauthorized"),
  403: errorResponse("forbidden"),
  404: errorResponse("not_found"),
  409: errorResponse("conflict"),
  503: {
    ...errorResponse("storage_unavailable"),
    description: "Error: storage_unavailable; Retry-After given.",
  },
};

export interface RouteDoc {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly params?: Schema;
  readonly querystring?: Schema;
  readonly body?: Schema;
  /** Success responses by status. */
  readonly response: Record<number, Schema>;
}

/** A route's schema: validation, serialisation and its OpenAPI operation (bearer API key). */
export function adminSchema(doc: RouteDoc): FastifySchema {
  return {
    ...doc,
    tags: [...doc.tags],
    security: [{ apiKey: [] }],
    response: { ...ADMIN_ERRORS, ...doc.response },
  } as FastifySchema;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
/** An ISO 8601 query value as epoch milliseconds. */
export const msOf = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Date.parse(text);
