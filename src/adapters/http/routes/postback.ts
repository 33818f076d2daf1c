/** GET and POST /v1/postback/{operator_key}: the inbound postback contract (DESIGN §2). */
import type { FastifyError, FastifyInstance } from "fastify";
import type { PostbackAnswer } from "../../../app/answers.ts";
import type { PostbackIngestor, PostbackRequest } from "../../../app/ingest-postback.ts";
import type { Clock } from "../../../app/ports.ts";
import { errorHandler } from "../error-handler.ts";

export interface PostbackRouteDeps {
  readonly ingestor: PostbackIngestor;
  readonly clock: Clock;
  readonly bodyLimitBytes: number;
}

const EMPTY = Buffer.alloc(0);

export async function postbackRoutes(app: FastifyInstance, deps: PostbackRouteDeps): Promise<void> {
  // Signatures are verified over the exact bytes received: keep every body as a raw Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: deps.bodyLimitBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );

  const send = (reply: import("fastify").FastifyReply, answer: PostbackAnswer) => {
    if (answer.retryAfter !== undefined) reply.header("retry-after", String(answer.retryAfter));
    return reply
      .status(answer.status)
      .header("content-type", "application/json; charset=utf-8")
      .send(answer.body);
  };

  const toRequest = (
    request: import("fastify").FastifyRequest<{ Params: { operatorKey: string } }>,
    body: Buffer,
  ): PostbackRequest => {
    const q = request.url.indexOf("?");
    return {
      operatorKey: request.params.operatorKey,
      method: request.method === "POST" ? "POST" : "GET",
      path: q === -1 ? request.url : request.url.slice(0, q),
      rawQuery: q === -1 ? "" : request.url.slice(q + 1),
      body,
      headers: request.headers,
      remoteAddress: request.socket.remoteAddress ?? "",
      receivedAt: deps.clock.now(),
      startedNs: process.hrtime.bigint(),
    };
  };

  // Rejections by the HTTP layer itself (too large, bad length) are logged like any other.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413 || (status >= 400 && status < 500)) {
      const answer = await deps.ingestor.reject(
        toRequest(request as never, EMPTY),
        error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413
          ? "payload_too_large"
          : "invalid_request",
        error.message,
      );
      return send(reply, answer);
    }
    return errorHandler(error, request, reply);
  });

  app.route<{ Params: { operatorKey: string }; Body: Buffer | undefined }>({
    method: ["GET", "POST"],
    url: "/v1/postback/:operatorKey",
    handler: async (request, reply) =>
      send(reply, await deps.ingestor.handle(toRequest(request, request.body ?? EMPTY))),
  });
}
