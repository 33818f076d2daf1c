/**
 * One error shape for the whole HTTP surface: `{ code, message, field? }` with the catalogue's
 * status. Fastify's own errors (body too large, bad JSON, schema validation) are mapped onto
 * catalogue codes; unexpected errors become `internal_error` without leaking their message.
 */
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { STORAGE_RETRY_AFTER_SECONDS, StorageUnavailableError } from "../../app/storage-errors.ts";
import { ERRORS, type ErrorCode, PostwireError } from "../../domain/errors.ts";

/** Seconds to wait before retrying, for the temporary failures (429, 503). */
const RETRY_AFTER: Partial<Record<ErrorCode, number>> = {
  overloaded: 1,
  storage_unavailable: STORAGE_RETRY_AFTER_SECONDS,
};

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
  const retryAfter = RETRY_AFTER[code];
  if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
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
  if (error instanceof StorageUnavailableError) {
    request.log.warn({ reason: error.reason, commitUnknown: error.commitUnknown }, "storage unavailable");
    return sendError(reply, "storage_unavailable");
  }
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

/** Sockets cut off for a header or body timeout, so a half-read postback is logged as a timeout. */
const timedOut = new WeakSet<Socket>();
export const wasTimedOut = (socket: Socket | undefined): boolean =>
  socket !== undefined && timedOut.has(socket);

/** A refusal written by the client-error handler, for the request log (`packet`: node:http's rawPacket). */
export type ClientRefusal = (
  socket: Socket,
  code: ErrorCode,
  message: string,
  packet: Buffer | undefined,
) => void;

/**
 * Errors Node raises before Fastify sees a request (header or body timeout, malformed HTTP, headers
 * too large): the same JSON shape, written straight to the socket, which is then closed.
 * `onRefused` (the request log, refused-requests.ts) is told afterwards; nothing here throws.
 */
export function createClientErrorHandler(onRefused?: ClientRefusal) {
  // node:http's rawPacket is the Buffer it was parsing (Fastify's types describe it otherwise).
  return function clientErrorHandler(
    error: Error & { code?: string; rawPacket?: unknown },
    socket: Socket,
  ): void {
    const code: ErrorCode = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "request_timeout" : "invalid_request";
    const message =
      error.code === "ECONNRESET"
        ? "The connection closed before the request headers arrived."
        : code === "request_timeout"
          ? "The request headers or body took too long to arrive."
          : error.code === "HPE_HEADER_OVERFLOW"
            ? "The request headers are too large."
            : "The request is not valid HTTP.";
    // A reset or already closed socket has nobody left to answer.
    if (error.code !== "ECONNRESET" && !socket.destroyed) {
      if (code === "request_timeout") timedOut.add(socket);
      const { status } = ERRORS[code];
      const body = JSON.stringify({ code, message });
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
    }
    socket.destroy();
    try {
      onRefused?.(socket, code, message, Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined);
    } catch {
      // The answer is sent; a failure to log it must not reach node:http's socket handling.
    }
  };
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout" };
