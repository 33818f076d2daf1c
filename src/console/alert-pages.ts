/** The console's alerts page: GET /alerts (admin and operator keys; scoped like GET /v1/alerts). */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../app/admin/deps.ts";
import { listAlerts } from "../app/alerts/alert-admin.ts";
import type { ConsoleKit } from "./console-kit.ts";
import { alertsPage } from "./pages/alerts.ts";

export const ALERT_PAGE_PATHS: readonly string[] = ["/alerts"];

/** Rows shown of each list. */
const SHOWN = 100;

export async function alertPages(app: FastifyInstance, deps: AdminDeps, helpers: ConsoleKit): Promise<void> {
  app.get("/alerts", async (request, reply) => {
    const viewer = await helpers.viewerOf(request);
    if (!viewer) return reply.redirect("/sign-in", 303);
    const [firing, resolved] = await Promise.all([
      listAlerts(deps, viewer.principal, { state: "firing", limit: SHOWN }),
      listAlerts(deps, viewer.principal, { state: "resolved", limit: SHOWN }),
    ]);
    return helpers.sendPage(reply, alertsPage(firing, resolved, viewer));
  });
}
