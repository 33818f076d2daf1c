/**
 * One error shape for the whole HTTP surface: `{ code, message, field? }` with the catalogue's
 * status. Fastify's own errors (body too large, bad JSON, schema validation) are mapped onto
 * catalogue codes; unexpected errors become `internal_error` without leaking their message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS, type ErrorCode, PostwireError } from "../../domain/errors.ts";

export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message?: string,
  field?: string,
): FastifyReply {
  const entry = ERRORS[code];
  const body: Record<string, string> = {
    code,
    message: entry.expose ? (message ?? entry.message) : entry.message,
  };
  if (field !== undefined) body["field"] = field;
  return reply.status(entry.status).type("application/json").send(JSON.stringify(body));
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
};

export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof PostwireError) return sendError(reply, error.code, error.message, error.field);
  if (error.validation) {
    const first = error.validation[0];
    const field = first?.instancePath
      ? first.instancePath.replace(/^\//, "").replace(/\//g, ".")
      : (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    return sendError(
      reply,
      "validation_failed",
      `${error.validationContext ?? "body"}${first?.instancePath ?? ""} ${first?.message ?? "is invalid"}`,
      field,
    );
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped)
    return sendError(
      reply,
      mapped,
      mapped === "invalid_json" ? `The body is not valid JSON: ${error.message}` : undefined,
    );
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(
      reply,
      error.statusCode === 413
        ? "payload_too_large"
        : error.statusCode === 408
          ? "request_timeout"
          : "invalid_request",
      error.message,
    );
  }
  request.log.error({ err: error }, "unhandled error");
  return sendError(reply, "internal_error");
}
