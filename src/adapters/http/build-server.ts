/**
 * buildServer(deps) → a Fastify instance with every route, kept apart from listen() so tests can
 * inject requests or listen on 127.0.0.1:0.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Catalog } from "../../app/catalog.ts";
import type { PostbackIngestor } from "../../app/ingest-postback.ts";
import type { Clock, Ids, Store } from "../../app/ports.ts";
import type { ClickRecorder } from "../../app/record-click.ts";
import { errorHandler, sendError } from "./error-handler.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { clickRoutes } from "./routes/clicks.ts";
import { healthRoutes } from "./routes/health.ts";
import { postbackRoutes } from "./routes/postback.ts";

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
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel },
    // The request log table is the audit trail; per-request access lines would dominate the hot path.
    disableRequestLogging: true,
    requestIdHeader: "x-request-id",
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: deps.requestTimeoutMs,
    keepAliveTimeout: deps.keepAliveTimeoutMs,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.server.headersTimeout = deps.headersTimeoutMs;
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, "not_found", `No route for ${request.method} ${request.url.split("?")[0]}.`),
  );

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
  });
  return app;
}
