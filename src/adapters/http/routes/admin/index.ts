/** The admin REST API under /v1 (API-key authenticated, scoped by role). */
import type { FastifyInstance } from "fastify";
import type { Catalog } from "../../../../app/catalog.ts";
import type { Clock, Ids, Store } from "../../../../app/ports.ts";
import { principalOf, requireApiKey } from "../../api-auth.ts";

export interface AdminDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly publicUrl: string;
}

export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  requireApiKey(app, deps.store);
  app.get("/me", async (request) => {
    const principal = principalOf(request);
    return { role: principal.role, operator_id: principal.operatorId, affiliate_id: principal.affiliateId };
  });
}
