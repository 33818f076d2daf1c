/**
 * The admin API refuses text no database can store (a NUL, an unpaired surrogate) in any path
 * parameter, query parameter or JSON body field, with a 400 naming the field, before it reaches
 * the store: PostgreSQL would fail the statement (a 500, or a 503 that retrying cannot cure)
 * where SQLite would take it. Both engines thus answer alike (storable-text.ts).
 */
import type { FastifyInstance } from "fastify";
import { PostwireError } from "../../../../domain/errors.ts";
import { isUnstorable, storableText, unstorableMessage } from "../../../../domain/storable-text.ts";

/** Bodies nest a few levels (mapping.values.event.dep): deeper than this is not walked. */
const MAX_DEPTH = 16;

/** The dotted path of the first string (or key) in `value` holding unstorable text, if any. */
export function unstorableField(value: unknown, path = "", depth = 0): string | undefined {
  if (typeof value === "string") return isUnstorable(value) ? path || "value" : undefined;
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return undefined;
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const here = path ? `${path}.${storableText(key)}` : storableText(key);
    if (isUnstorable(key)) return here;
    const found = unstorableField(item, here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function refuseUnstorable(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    // A streamed body (a reconciliation file) is no JSON: its reader checks its own text.
    const body =
      typeof (request.body as { pipe?: unknown } | null)?.pipe === "function" ? undefined : request.body;
    for (const part of [request.params, request.query, body]) {
      const field = unstorableField(part);
      if (field !== undefined) throw new PostwireError("invalid_field", unstorableMessage(field), field);
    }
  });
}
