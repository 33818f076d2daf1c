/**
 * buildServer(deps) → a Fastify instance with every route, kept apart from listen() so tests can
 * inject requests or listen on 127.0.0.1:0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Catalog } from "../../app/catalog.ts";
import type { ClickRecorder } from "../../app/clicks/record-click.ts";
import type { PostbackIngestor } from "../../app/ingest/ingest-postback.ts";
import type { Clock, Ids, Store } from "../../app/ports.ts";
import { consoleRoutes } from "../../console/console-routes.ts";
import type { ComparisonThreads } from "../files/comparison-threads.ts";
import { createClientErrorHandler, errorHandler, sendError } from "./error-handler.ts";
import { createHotRoutes, type HotRoutes } from "./hot-routes.ts";
import { type MetricsOptions, metricsRoute } from "./metrics.ts";
import { openApiRoutes } from "./openapi.ts";
import { earlyPostbackRequest, logEarlyReject, postbackInPacket } from "./refused-requests.ts";
import { requestIdOf } from "./request-id.ts";
import type { OutboundRouteDeps } from "./routes/admin/endpoints.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { clickRoutes } from "./routes/clicks.ts";
import { healthRoutes } from "./routes/health.ts";
import { arrivalNow, postbackRoutes } from "./routes/postback.ts";

export interface ServerDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly ingestor: PostbackIngestor;
  readonly clicks: ClickRecorder;
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly logLevel: string;
  readonly isDraining: () => boolean;
  /** Outbound endpoints (egress guard, sender for "send test", endpoint cache). */
  readonly outbound?: OutboundRouteDeps;
  /** The click-id secrets (current first): recalculations verify click times as ingest does. */
  readonly clickSecrets?: readonly Uint8Array[];
  /** GET /metrics on this listener (unset: none here, e.g. on a listener of its own: metrics.ts). */
  readonly metrics?: MetricsOptions;
  /** Where JSON log lines go (default stdout); tests pass a stream to read them. */
  readonly logStream?: { write(line: string): void };
  /** Worker threads for reconciliation comparisons (none: compared in the request's thread). */
  readonly comparisons?: ComparisonThreads;
}

/**
 * Node checks headersTimeout/requestTimeout only every connectionsCheckingInterval (30 s by
 * default), so a limit of a few seconds would be enforced up to 30 s late: check at a quarter of
 * the smallest limit, at most once a second.
 */
export function checkingIntervalMs(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)));
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // Node refuses headersTimeout > requestTimeout: the whole request cannot take less than its head.
  const headersTimeout = Math.min(deps.headersTimeoutMs, deps.requestTimeoutMs);
  const http = {
    headersTimeout,
    requestTimeout: deps.requestTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(headersTimeout, deps.requestTimeoutMs),
  };
  // Set once the routes exist; until then (and while closing) every request goes to Fastify.
  let hotRoutes: HotRoutes | undefined;
  // Postbacks refused before any route runs are logged too, where they can be (refused-requests.ts).
  const onLogError = (error: unknown) => app.log.error({ err: error }, "early rejection not logged");
  const app: FastifyInstance = Fastify({
    // Our own node:http server, so the hot routes can be answered before Fastify routes (hot-routes.ts).
    serverFactory: (handler) => {
      const server = createServer(http, (request: IncomingMessage, response: ServerResponse) => {
        if (!hotRoutes?.handle(request, response)) handler(request, response);
      });
      // What Fastify does to a server it creates itself (connectionTimeout: 0, none).
      server.keepAliveTimeout = deps.keepAliveTimeoutMs;
      server.requestTimeout = deps.requestTimeoutMs;
      return server;
    },
    logger: deps.logStream ? { level: deps.logLevel, stream: deps.logStream } : { level: deps.logLevel },
    // The request log table is the audit trail; per-request access lines would dominate the hot
    // path. Lines written through request.log still carry the request id (reqId).
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: requestIdOf,
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: deps.requestTimeoutMs,
    keepAliveTimeout: deps.keepAliveTimeoutMs,
    return503OnClosing: true,
    clientErrorHandler: createClientErrorHandler((socket, code, message, packet) => {
      const request = postbackInPacket(packet, arrivalNow(deps.clock, socket.remoteAddress));
      if (request) logEarlyReject(deps.ingestor, request, code, message, onLogError);
    }),
    frameworkErrors: (error, request, reply) => {
      request.log.info({ code: error.code }, "request refused by the router");
      const postback = earlyPostbackRequest(
        request.method,
        request.url,
        request.headers,
        arrivalNow(deps.clock, request.socket?.remoteAddress),
      );
      if (postback) logEarlyReject(deps.ingestor, postback, "invalid_request", error.message, onLogError);
      return sendError(reply, "invalid_request", error.message);
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Unknown properties are refused (400 naming the field), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, "not_found", `No route for ${request.method} ${request.url.split("?")[0]}.`),
  );
  // Echo the id so a client can quote it when asking about a request.
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  // The console's pages, before the OpenAPI document starts watching routes: they are not API.
  await app.register(consoleRoutes, {
    store: deps.store,
    catalog: deps.catalog,
    clock: deps.clock,
    ids: deps.ids,
    publicUrl: deps.publicUrl,
    clickSecrets: deps.clickSecrets,
    outbound: deps.outbound,
    ingestor: deps.ingestor,
    comparisons: deps.comparisons,
  });
  // First of the API, so that it sees every route registered after it.
  await app.register(openApiRoutes, { publicUrl: deps.publicUrl });
  await app.register(healthRoutes, { store: deps.store, isDraining: deps.isDraining });
  await app.register(clickRoutes, { clicks: deps.clicks });
  await app.register(postbackRoutes, {
    ingestor: deps.ingestor,
    clock: deps.clock,
    bodyLimitBytes: deps.bodyLimitBytes,
  });
  await app.register(adminRoutes, {
    prefix: "/v1",
    store: deps.store,
    catalog: deps.catalog,
    clock: deps.clock,
    ids: deps.ids,
    publicUrl: deps.publicUrl,
    ingestor: deps.ingestor,
    ...(deps.outbound ? { outbound: deps.outbound } : {}),
    ...(deps.clickSecrets ? { clickSecrets: deps.clickSecrets } : {}),
    ...(deps.comparisons ? { comparisons: deps.comparisons } : {}),
  });
  hotRoutes = createHotRoutes({
    ingestor: deps.ingestor,
    clicks: deps.clicks,
    clock: deps.clock,
    log: app.log,
  });
  const fast = hotRoutes;
  app.addHook("preClose", async () => fast.close());
  if (deps.metrics) await app.register(metricsRoute, deps.metrics);
  return app;
}
