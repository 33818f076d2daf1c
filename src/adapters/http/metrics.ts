/**
 * GET /metrics (Prometheus text): on the service's own listener, or on a listener of its own
 * (METRICS_PORT, METRICS_HOST) that serves nothing else, so it can stay on a private interface;
 * either way optionally behind a bearer token (METRICS_TOKEN) compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { errorHandler, sendError } from "./error-handler.ts";
import { METRICS_SCHEMA } from "./metrics-schema.ts";

export interface MetricsOptions {
  /** The Prometheus text of this process. */
  readonly render: () => Promise<string>;
  /** The Content-Type of the rendered text. */
  readonly contentType: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether an Authorization header carries the token. Compared as SHA-256 digests, which have one
 * length, so neither the comparison nor a length check tells how much of a guess was right.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
  const given = /^bearer /i.test(header ?? "") ? header!.slice("bearer ".length) : "";
  return timingSafeEqual(sha256(given), sha256(token)) && given.length > 0;
}

/** Registers GET /metrics on `app`. */
export async function metricsRoute(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const { render, token, contentType } = options;
  app.get("/metrics", { schema: METRICS_SCHEMA }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      reply.header("www-authenticate", 'Bearer realm="metrics"');
      return sendError(reply, "unauthorized", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.");
    }
    return reply.type(contentType).send(await render());
  });
}

export interface MetricsListener {
  /** Where it listens, e.g. http://127.0.0.1:9464. */
  readonly url: string;
  close(): Promise<void>;
}

/** A listener of its own on host:port that answers GET /metrics and 404 to everything else. */
export async function listenMetrics(
  options: MetricsOptions & { readonly host: string; readonly port: number },
): Promise<MetricsListener> {
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, "not_found", `No route for ${request.method} ${request.url.split("?")[0]}.`),
  );
  await app.register(metricsRoute, {
    render: options.render,
    contentType: options.contentType,
    token: options.token,
  });
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
