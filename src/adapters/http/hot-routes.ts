/**
 * The two hot routes answered on node:http before Fastify routes the request: GET
 * /v1/postback/{operator_key} and GET /c/{link_code}. They run the same use cases and send the
 * same answers as their Fastify routes (routes/postback.ts, routes/clicks.ts share the request and
 * answer mapping with this module), without routing, hooks, a per-request logger and the reply
 * machinery (5–10 % more requests/s at peak; bench/README.md).
 *
 * Only plain requests take it: a GET whose key or code is made of unreserved characters, with no
 * body, while the server is not closing. Everything else — HEAD, POST, percent-encoded or
 * over-long keys, a GET with a body, requests during shutdown — goes through Fastify, which
 * answers or refuses it as before.
 *
 * /openapi.json describes these routes through their Fastify routes' schemas (postback-schema.ts,
 * clicks.ts): one route, one description, whichever handler answers a given request. Adding them
 * by hand in swagger's transform instead would describe them apart from the code that answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyBaseLogger } from "fastify";
import type { ClickRecorder } from "../../app/clicks/record-click.ts";
import type { PostbackIngestor } from "../../app/ingest/ingest-postback.ts";
import type { Clock } from "../../app/ports.ts";
import { ERRORS } from "../../domain/errors.ts";
import { requestIdOf } from "./request-id.ts";
import { clickRequest, clickResponse } from "./routes/clicks.ts";
import { answerHeaders, arrivalNow, postbackRequest } from "./routes/postback.ts";

export interface HotRoutesDeps {
  readonly ingestor: PostbackIngestor;
  readonly clicks: ClickRecorder;
  readonly clock: Clock;
  readonly log: FastifyBaseLogger;
}

export interface HotRoutes {
  /** True when the request was taken (and will be answered here); false: pass it to Fastify. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** From now on every request goes to Fastify (which answers 503 while closing). */
  close(): void;
}

/** The same parameter limit as the router (maxParamLength 200); a trailing slash is ignored. */
const POSTBACK = /^\/v1\/postback\/([A-Za-z0-9._~-]{1,200})\/?(?:\?|$)/;
const CLICK = /^\/c\/([A-Za-z0-9._~-]{1,200})\/?(?:\?|$)/;
const EMPTY = Buffer.alloc(0);
const INTERNAL_ERROR = JSON.stringify({ code: "internal_error", message: ERRORS.internal_error.message });

function write(
  response: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
  requestId: string,
): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, {
    ...headers,
    "content-length": body === undefined ? 0 : Buffer.byteLength(body),
    "x-request-id": requestId,
  });
  response.end(body);
}

/** As the root error handler answers an unexpected error (sendError's internal_error). */
function internalError(response: ServerResponse, requestId: string): void {
  write(response, 500, { "content-type": "application/json" }, INTERNAL_ERROR, requestId);
}

/** No body: neither a length above zero nor a chunked body (Fastify reads those, we would not). */
function hasNoBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return (length === undefined || length === "0") && request.headers["transfer-encoding"] === undefined;
}

export function createHotRoutes(deps: HotRoutesDeps): HotRoutes {
  let closing = false;

  function postback(request: IncomingMessage, response: ServerResponse, operatorKey: string): void {
    const arrival = arrivalNow(deps.clock, request.socket.remoteAddress);
    const requestId = requestIdOf(request);
    const input = postbackRequest(request.url!, operatorKey, "GET", request.headers, arrival, EMPTY);
    deps.ingestor.handle(input).then(
      (answer) => {
        if (answer.status >= 500)
          deps.log.warn({ reqId: requestId, status: answer.status }, "postback not stored");
        write(response, answer.status, answerHeaders(answer), answer.body, requestId);
      },
      (error: unknown) => {
        // As the Fastify route's error handler does: logged, and answered (and logged) as internal_error.
        deps.log.error({ reqId: requestId, err: error }, "postback failed");
        deps.ingestor.reject(input, "internal_error").then(
          (answer) => write(response, answer.status, answerHeaders(answer), answer.body, requestId),
          () => internalError(response, requestId),
        );
      },
    );
  }

  function click(request: IncomingMessage, response: ServerResponse, code: string): void {
    const requestId = requestIdOf(request);
    const input = clickRequest(request.url!, code, request.socket.remoteAddress ?? "", request.headers);
    deps.clicks.record(input).then(
      (answer) => {
        const answered = clickResponse(answer);
        write(response, answered.status, answered.headers, answered.body, requestId);
      },
      (error: unknown) => {
        deps.log.error({ reqId: requestId, err: error }, "click failed");
        internalError(response, requestId);
      },
    );
  }

  return {
    handle(request, response) {
      if (closing || request.method !== "GET" || !hasNoBody(request)) return false;
      const url = request.url ?? "";
      if (url.startsWith("/v1/postback/")) {
        const match = POSTBACK.exec(url);
        if (!match) return false;
        postback(request, response, match[1]!);
        return true;
      }
      if (url.startsWith("/c/")) {
        const match = CLICK.exec(url);
        if (!match) return false;
        click(request, response, match[1]!);
        return true;
      }
      return false;
    },
    close() {
      closing = true;
    },
  };
}
