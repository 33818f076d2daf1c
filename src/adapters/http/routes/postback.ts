/** GET and POST /v1/postback/{operator_key}: the inbound postback contract (DESIGN §2). */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type {
  LoggableRequest,
  PostbackIngestor,
  PostbackRequest,
} from "../../../app/ingest/ingest-postback.ts";
import type { PostbackAnswer } from "../../../app/ingest/postback-answers.ts";
import type { Clock } from "../../../app/ports.ts";
import type { ErrorCode } from "../../../domain/errors.ts";
import { wasTimedOut } from "../error-handler.ts";
import { POSTBACK_GET, POSTBACK_OTHER, POSTBACK_POST } from "./postback-schema.ts";

export interface PostbackRouteDeps {
  readonly ingestor: PostbackIngestor;
  readonly clock: Clock;
  readonly bodyLimitBytes: number;
}

const EMPTY = Buffer.alloc(0);
const URL_PATTERN = "/v1/postback/:operatorKey";
/** Methods answered 405 (and logged) rather than 404, so a misconfigured back office learns why. */
const OTHER_METHODS = ["HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

type PostbackFastifyRequest = FastifyRequest<{ Params: { operatorKey: string } }>;

export interface Arrival {
  readonly receivedAt: number;
  readonly startedNs: bigint;
  /** Read at arrival: once a slow client is cut off, its socket no longer knows the peer. */
  readonly remoteAddress: string;
}

/** The arrival of a request now (time, monotonic start, peer), for the request log. */
export function arrivalNow(clock: Clock, remoteAddress: string | undefined): Arrival {
  return { receivedAt: clock.now(), startedNs: process.hrtime.bigint(), remoteAddress: remoteAddress ?? "" };
}

declare module "fastify" {
  interface FastifyRequest {
    /** When the request arrived, for the request log's time and latency. */
    postbackArrival: Arrival | null;
  }
}

/** Fastify's own rejections (body too large, bad length, aborted body) as catalogue codes. */
function codeOfHttpError(error: FastifyError, request: FastifyRequest): ErrorCode {
  // The body stopped arriving: cut off by our requestTimeout, or the client hung up.
  if (error.code === "ECONNRESET")
    return wasTimedOut(request.raw.socket) ? "request_timeout" : "invalid_request";
  const status = error.statusCode ?? 500;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) return "payload_too_large";
  if (status === 408) return "request_timeout";
  if (status === 415) return "unsupported_media_type";
  if (status >= 400 && status < 500) return "invalid_request";
  return "internal_error";
}

const JSON_TYPE = "application/json; charset=utf-8";
const PLAIN = { "content-type": JSON_TYPE };
/** A duplicate says it is a replay (the header Stripe's API uses for the same purpose). */
const REPLAYED = { "content-type": JSON_TYPE, "idempotent-replayed": "true" };

/** The headers of a postback answer (besides x-request-id), shared with the node:http fast path. */
export function answerHeaders(answer: PostbackAnswer): Record<string, string> {
  if (answer.retryAfter !== undefined) return { ...PLAIN, "retry-after": String(answer.retryAfter) };
  return answer.replayed ? REPLAYED : PLAIN;
}

function send(reply: FastifyReply, answer: PostbackAnswer): FastifyReply {
  return reply.status(answer.status).headers(answerHeaders(answer)).send(answer.body);
}

/** The use case's view of an HTTP request; `url` is the request target (path and query). */
export function postbackRequest(
  url: string,
  operatorKey: string,
  method: string,
  headers: PostbackRequest["headers"],
  arrival: Arrival,
  body: Buffer,
): PostbackRequest {
  const q = url.indexOf("?");
  return {
    operatorKey,
    method: method === "POST" ? "POST" : "GET",
    path: q === -1 ? url : url.slice(0, q),
    rawQuery: q === -1 ? "" : url.slice(q + 1),
    body,
    headers,
    ...arrival,
  };
}

/** The request log's view of a postback refused before or outside `handle`: any method, no body. */
export function refusedRequest(
  url: string,
  operatorKey: string,
  method: string,
  headers: PostbackRequest["headers"],
  arrival: Arrival,
): LoggableRequest {
  return { ...postbackRequest(url, operatorKey, method, headers, arrival, EMPTY), method };
}

export async function postbackRoutes(app: FastifyInstance, deps: PostbackRouteDeps): Promise<void> {
  // The schemas document the contract (postback-schema.ts); the ingestor checks it, with its codes.
  app.setValidatorCompiler(() => () => true);
  // Signatures are verified over the exact bytes received: keep every body as a raw Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: deps.bodyLimitBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );
  app.decorateRequest("postbackArrival", null);
  // Time and latency count from arrival, not from when the body has been read.
  app.addHook("onRequest", async (request) => {
    request.postbackArrival = arrivalNow(deps.clock, request.socket?.remoteAddress);
  });
  const arrivalOf = (request: FastifyRequest): Arrival =>
    request.postbackArrival ?? arrivalNow(deps.clock, request.socket?.remoteAddress);

  const toRequest = (request: PostbackFastifyRequest, body: Buffer): PostbackRequest =>
    postbackRequest(
      request.url,
      request.params.operatorKey ?? "",
      request.method,
      request.headers,
      arrivalOf(request),
      body,
    );

  /** Answers (and logs) a request refused before or outside `handle`. */
  const refuse = async (
    request: PostbackFastifyRequest,
    reply: FastifyReply,
    code: ErrorCode,
    message?: string,
  ): Promise<FastifyReply> => {
    const logged = refusedRequest(
      request.url,
      request.params.operatorKey ?? "",
      request.method,
      request.headers,
      arrivalOf(request),
    );
    const answer = await deps.ingestor.reject(logged, code, message);
    return send(reply, answer);
  };

  // Every rejection by the HTTP layer itself (too large, bad length, a bug) is logged like any other.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const code = codeOfHttpError(error, request);
    if (code === "internal_error") request.log.error({ err: error }, "postback failed");
    else request.log.info({ code, err: error.message }, "postback refused by the HTTP layer");
    const message =
      code === "internal_error"
        ? undefined
        : error.code === "ECONNRESET"
          ? "The connection closed before the whole body arrived."
          : error.message;
    return refuse(request as PostbackFastifyRequest, reply, code, message);
  });

  const handler = async (
    request: FastifyRequest<{ Params: { operatorKey: string }; Body: Buffer | undefined }>,
    reply: FastifyReply,
  ) => {
    const answer = await deps.ingestor.handle(toRequest(request, request.body ?? EMPTY));
    if (answer.status >= 500) request.log.warn({ status: answer.status }, "postback not stored");
    return send(reply, answer);
  };
  // A HEAD must not record a conversion: it gets the 405 below instead of running the handler.
  app.route({ method: "GET", url: URL_PATTERN, exposeHeadRoute: false, schema: POSTBACK_GET, handler });
  app.route({ method: "POST", url: URL_PATTERN, schema: POSTBACK_POST, handler });

  app.route<{ Params: { operatorKey: string } }>({
    method: [...OTHER_METHODS],
    url: URL_PATTERN,
    schema: POSTBACK_OTHER,
    handler: async (request, reply) => {
      reply.header("allow", "GET, POST");
      return refuse(request, reply, "method_not_allowed", `Use GET or POST, not ${request.method}.`);
    },
  });
}
