/**
 * The admin REST API under /v1 (docs/api.md): API-key authenticated, scoped by role, one file per
 * resource. Route schemas validate input, shape output and feed /openapi.json.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { createKeyUseRecorder } from "../../../../app/admin/api-keys.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { planCacheFor } from "../../../../app/commissions/plan-cache.ts";
import type { PostbackIngestor } from "../../../../app/ingest/ingest-postback.ts";
import { ROLES } from "../../../../domain/model.ts";
import type { ComparisonThreads } from "../../../files/comparison-threads.ts";
import { principalOf, requireApiKey } from "../../api-auth.ts";
import { errorHandler, sendError } from "../../error-handler.ts";
import { affiliateRoutes } from "./affiliates.ts";
import { alertsRoutes } from "./alerts.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { checklistRoutes } from "./checklist.ts";
import { commissionRoutes } from "./commissions.ts";
import { deliveryRoutes } from "./deliveries.ts";
import { endpointRoutes, type OutboundRouteDeps } from "./endpoints.ts";
import { linkRoutes } from "./links.ts";
import { operatorAuthRoutes } from "./operator-auth.ts";
import { operatorRoutes } from "./operators.ts";
import { programRoutes } from "./programs.ts";
import { recalculationRoutes } from "./recalculations.ts";
import { reconciliationRoutes } from "./reconciliations.ts";
import { recordRoutes } from "./records.ts";
import { refuseUnstorable } from "./refuse-unstorable.ts";
import { requestLogRoutes } from "./request-log.ts";
import { adminSchema, ID, Nullable, OneOf } from "./schemas.ts";
import { statsRoutes } from "./stats.ts";
import { traceRoutes } from "./traces.ts";

export type { AdminDeps } from "../../../../app/admin/deps.ts";

/**
 * An unknown property is refused naming it (the shared handler names only missing ones); every
 * other error goes to the shared handler.
 */
function adminErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const first = error.validation?.[0];
  const extra = (first?.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
  if (first?.keyword === "additionalProperties" && typeof extra === "string") {
    const parent = first.instancePath.replace(/^\//, "").replace(/\//g, ".");
    const field = parent ? `${parent}.${extra}` : extra;
    const where = error.validationContext ?? "body";
    return sendError(reply, "validation_failed", `${where} has an unknown field "${field}".`, field);
  }
  return errorHandler(error, request, reply);
}

/** Writes last_used_at after the answer, so the caller never waits for (nor fails on) it. */
function trackKeyUse(app: FastifyInstance, deps: AdminDeps): void {
  const recordKeyUse = createKeyUseRecorder(deps);
  app.addHook("onResponse", async (request) => {
    if (!request.principal) return;
    try {
      await recordKeyUse(request.principal.keyId);
    } catch (error) {
      request.log.warn({ err: error }, "could not record API key use");
    }
  });
}

function whoAmI(app: FastifyInstance): void {
  const schema = adminSchema({
    summary: "Who this API key is",
    tags: ["meta"],
    response: {
      200: Type.Object({ role: OneOf(ROLES), operator_id: Nullable(ID), affiliate_id: Nullable(ID) }),
    },
  });
  app.get("/me", { schema }, async (request) => {
    const principal = principalOf(request);
    return { role: principal.role, operator_id: principal.operatorId, affiliate_id: principal.affiliateId };
  });
}

export async function adminRoutes(
  app: FastifyInstance,
  options: AdminDeps & {
    readonly outbound?: OutboundRouteDeps;
    readonly clickSecrets?: readonly Uint8Array[];
    /** The postback pipeline, for reconciliation backfills (none: no reconciliation routes). */
    readonly ingestor?: Pick<PostbackIngestor, "backfill">;
    /** Worker threads for reconciliation comparisons (none: compared in the request's thread). */
    readonly comparisons?: ComparisonThreads;
  },
): Promise<void> {
  // Only the dependencies travel on: the register options (prefix…) must not reach the children.
  const { store, catalog, clock, ids, publicUrl } = options;
  const deps: AdminDeps = { store, catalog, clock, ids, publicUrl };
  requireApiKey(app, deps.store);
  refuseUnstorable(app);
  app.setErrorHandler(adminErrorHandler);
  trackKeyUse(app, deps);
  whoAmI(app);
  for (const routes of [
    operatorRoutes,
    operatorAuthRoutes,
    programRoutes,
    affiliateRoutes,
    linkRoutes,
    apiKeyRoutes,
    recordRoutes,
    requestLogRoutes,
    deliveryRoutes,
    commissionRoutes,
    traceRoutes,
    checklistRoutes,
    statsRoutes,
  ]) {
    await app.register(routes, deps);
  }
  if (options.ingestor)
    await app.register(reconciliationRoutes, {
      ...deps,
      ingestor: options.ingestor,
      comparisons: options.comparisons,
    });
  if (options.outbound) {
    await app.register(endpointRoutes, { ...deps, ...options.outbound });
    // Alert webhooks are called through the same egress guard and sender.
    await app.register(alertsRoutes, { ...deps, ...options.outbound });
  }
  // Recalculations decide commissions as ingest does, click times included: with the click secrets.
  if (options.clickSecrets)
    await app.register(recalculationRoutes, {
      ...deps,
      commissions: {
        plans: planCacheFor(catalog, clock),
        clock,
        ids,
        clickSecrets: options.clickSecrets,
      },
    });
}
