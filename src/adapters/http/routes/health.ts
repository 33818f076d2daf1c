/**
 * Liveness and readiness: /healthz answers while the process runs; /readyz answers ready only
 * while the database takes writes (store.ping makes a tiny real commit, and on SQLite checks the
 * room left on disk), so a load balancer stops sending postbacks that could only get 503.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Store } from "../../../app/ports.ts";
import { STORAGE_RETRY_AFTER_SECONDS, StorageUnavailableError } from "../../../app/storage-errors.ts";

const json = (description: string, schema: unknown) => ({
  description,
  content: { "application/json": { schema } },
});

const LIVE = {
  summary: "Liveness: answers while the process runs",
  tags: ["health"],
  security: [],
  response: { 200: json("ok", Type.Object({ status: Type.Literal("ok") })) },
};

const READY = {
  summary: "Readiness: the database takes writes and the instance is not draining",
  tags: ["health"],
  security: [],
  response: {
    200: json("ready", Type.Object({ status: Type.Literal("ready"), engine: Type.String() })),
    503: json(
      "draining or storage_unavailable; Retry-After given.",
      Type.Object({ status: Type.String(), code: Type.String() }),
    ),
  },
};

export async function healthRoutes(
  app: FastifyInstance,
  deps: { readonly store: Store; readonly isDraining: () => boolean },
) {
  // Probes must see the live answer, never a cached one.
  app.addHook("onSend", async (_request, reply) => {
    reply.header("cache-control", "no-store");
  });
  app.get("/healthz", { schema: LIVE }, async () => ({ status: "ok" }));
  // Logged when readiness changes, not on every probe of a load balancer.
  let unavailable = false;
  app.get("/readyz", { schema: READY }, async (_request, reply) => {
    // A draining instance takes no new work: the load balancer should move on at once.
    if (deps.isDraining())
      return reply.status(503).header("retry-after", "5").send({ status: "draining", code: "draining" });
    try {
      await deps.store.ping();
    } catch (error) {
      if (!unavailable) {
        const reason = error instanceof StorageUnavailableError ? error.reason : undefined;
        app.log.warn({ reason, err: reason ? undefined : error }, "not ready: the database takes no writes");
      }
      unavailable = true;
      return reply
        .status(503)
        .header("retry-after", String(STORAGE_RETRY_AFTER_SECONDS))
        .send({ status: "unavailable", code: "storage_unavailable" });
    }
    if (unavailable) app.log.info("ready again: the database takes writes");
    unavailable = false;
    return { status: "ready", engine: deps.store.engine };
  });
}
