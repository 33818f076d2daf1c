/** Liveness and readiness: /healthz answers while the process runs; /readyz checks the database. */
import type { FastifyInstance } from "fastify";
import type { Store } from "../../../app/ports.ts";

export async function healthRoutes(
  app: FastifyInstance,
  deps: { readonly store: Store; readonly isDraining: () => boolean },
) {
  // Probes must see the live answer, never a cached one.
  app.addHook("onSend", async (_request, reply) => {
    reply.header("cache-control", "no-store");
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    // A draining instance takes no new work: the load balancer should move on at once.
    if (deps.isDraining())
      return reply.status(503).header("retry-after", "5").send({ status: "draining", code: "draining" });
    try {
      await deps.store.ping();
      return { status: "ready", engine: deps.store.engine };
    } catch {
      return reply
        .status(503)
        .header("retry-after", "5")
        .send({ status: "unavailable", code: "storage_unavailable" });
    }
  });
}
