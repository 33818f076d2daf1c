/**
 * The console's endpoint routes: GET/POST /endpoints (list, create), GET/POST /endpoints/{id}
 * (settings), POST /endpoints/{id}/rotate-secret and /endpoints/{id}/test. Admin keys for any
 * affiliate, an affiliate key for its own; every action runs the API's use case, so scoping
 * (another affiliate's endpoint is not found), the template check and the egress guard are the API's.
 * Registered only where outbound delivery is configured.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listAffiliates } from "../app/admin/affiliates.ts";
import { listDeliveries } from "../app/delivery/deliveries.ts";
import {
  createEndpoint,
  type EndpointInput,
  getEndpoint,
  listEndpoints,
  type OutboundAdminDeps,
  rotateEndpointSecret,
  sendTest,
  updateEndpoint,
} from "../app/delivery/endpoints.ts";
import {
  ENDPOINT_METHODS,
  ENDPOINT_STATUSES,
  type EndpointMethod,
  type EndpointStatus,
  FIRE_STATUSES,
  type FireStatus,
} from "../app/delivery/outbox-port.ts";
import { PostwireError } from "../domain/errors.ts";
import { type ConsoleKit, formOf, viewerWithRole } from "./console-kit.ts";
import {
  commaList,
  formErrorOf,
  idField,
  oneOf,
  optionalText,
  pathId,
  recordId,
  required,
} from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { type EndpointState, type EndpointValues, endpointPage, endpointsPage } from "./pages/endpoints.ts";
import { FLASH_COOKIE } from "./request-routes.ts";

export const ENDPOINT_PAGE_PATHS: readonly string[] = [
  "/endpoints",
  "/endpoints/:id",
  "/endpoints/:id/rotate-secret",
  "/endpoints/:id/test",
];

const LISTED = 500;
/** Recent deliveries shown on an endpoint's page. */
const DELIVERIES = 50;

const invalid = (field: string, message: string) => new PostwireError("invalid_field", message, field);

/** The ticked statuses (a repeated field: one value, several, or none). */
function statusesOf(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === "string" ? [raw] : [];
}

/** The endpoint form as the use case's input (its limits: the use case's, as for the API). */
function inputOf(values: Record<string, unknown>): EndpointInput {
  const form = values as Record<string, string | undefined>;
  const name = optionalText(form, "name");
  // Limits (events, delay) are the use case's, which refuses as the API does.
  const events = commaList(form, "events");
  const programIds = commaList(form, "program_ids").map((id) => {
    const programId = recordId(id);
    if (programId === undefined) throw invalid("program_ids", `"${id}" is not a program id.`);
    return programId;
  });
  const statuses = statusesOf(values["statuses"]);
  if (!statuses.length) throw invalid("statuses", "Tick at least one status.");
  for (const s of statuses) oneOf(FIRE_STATUSES, s, "statuses", "Choose among the statuses shown.");
  const delay = (form["delay_seconds"] ?? "0").trim() || "0";
  if (!/^[0-9]+$/.test(delay))
    throw invalid("delay_seconds", "delay_seconds must be a whole number from 0 to 86400.");
  return {
    ...(name ? { name } : {}),
    urlTemplate: required(form, "url_template", 2000),
    method: oneOf<EndpointMethod>(ENDPOINT_METHODS, form["method"], "method"),
    events,
    programIds,
    statuses: statuses as FireStatus[],
    delaySeconds: Number(delay),
    includeTest: form["include_test"] === "1",
    status: oneOf<EndpointStatus>(ENDPOINT_STATUSES, form["status"], "status"),
  };
}

/** The submitted values, shown again when refused. */
function shownValues(values: Record<string, unknown>): EndpointValues {
  const shown: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === "string") shown[k] = v;
  return { ...shown, statuses: statusesOf(values["statuses"]).join(",") };
}

export async function endpointPages(
  app: FastifyInstance,
  deps: OutboundAdminDeps,
  kit: ConsoleKit,
): Promise<void> {
  const viewerOf = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin", "affiliate"]);
  type ById = FastifyRequest<{ Params: { id: string } }>;

  async function listPage(viewer: Viewer, state: Parameters<typeof endpointsPage>[2] = {}) {
    const p = viewer.principal;
    const endpoints = await listEndpoints(deps, p, { limit: LISTED });
    const affiliates = p.role === "admin" ? await listAffiliates(deps, p, { limit: LISTED }) : undefined;
    return endpointsPage(endpoints, viewer, { ...state, ...(affiliates ? { affiliates } : {}) });
  }

  async function onePage(viewer: Viewer, id: number, state: EndpointState = {}) {
    const endpoint = await getEndpoint(deps, viewer.principal, id);
    const deliveries = await listDeliveries(deps, viewer.principal, { endpointId: id, limit: DELIVERIES });
    return endpointPage(endpoint, deliveries, viewer, state);
  }

  app.get<{ Querystring: { affiliate_id?: string } }>("/endpoints", async (request, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const chosen = request.query.affiliate_id;
    return kit.sendPage(reply, await listPage(viewer, chosen ? { values: { affiliate_id: chosen } } : {}));
  });

  app.post("/endpoints", async (request, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const values = formOf(request) as Record<string, unknown>;
    try {
      const p = viewer.principal;
      const owner = p.role === "admin" ? { affiliateId: idField(formOf(request), "affiliate_id") } : {};
      const { endpoint, secret } = await createEndpoint(deps, p, { ...inputOf(values), ...owner });
      return kit.sendPage(
        reply,
        await onePage(viewer, endpoint.id, { secret: { value: secret, rotated: false } }),
      );
    } catch (error) {
      const refused = formErrorOf("endpoint", error);
      if (!refused) throw error;
      return kit.sendPage(
        reply,
        await listPage(viewer, { values: shownValues(values), error: refused }),
        400,
      );
    }
  });

  app.get("/endpoints/:id", async (request: ById, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Endpoint");
    // The one-time message of a replay (request-routes.ts sets it before sending us back here).
    const flash = request.cookies[FLASH_COOKIE];
    if (flash !== undefined) reply.clearCookie(FLASH_COOKIE, kit.cookieOptions);
    return kit.sendPage(reply, await onePage(viewer, id, flash ? { flash: flash.slice(0, 300) } : {}));
  });

  app.post("/endpoints/:id", async (request: ById, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Endpoint");
    const values = formOf(request) as Record<string, unknown>;
    try {
      await updateEndpoint(deps, viewer.principal, id, inputOf(values));
      reply.setCookie(FLASH_COOKIE, "Endpoint saved.", { ...kit.cookieOptions, maxAge: 60 });
      return reply.redirect(`/endpoints/${id}`, 303);
    } catch (error) {
      const refused = formErrorOf("settings", error);
      if (!refused || (error as PostwireError).code === "not_found") throw error;
      return kit.sendPage(
        reply,
        await onePage(viewer, id, { values: shownValues(values), error: refused }),
        400,
      );
    }
  });

  app.post("/endpoints/:id/rotate-secret", async (request: ById, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Endpoint");
    const { secret } = await rotateEndpointSecret(deps, viewer.principal, id);
    return kit.sendPage(reply, await onePage(viewer, id, { secret: { value: secret, rotated: true } }));
  });

  app.post("/endpoints/:id/test", async (request: ById, reply) => {
    const viewer = await viewerOf(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Endpoint");
    const test = await sendTest(deps, viewer.principal, id);
    return kit.sendPage(reply, await onePage(viewer, id, { test }));
  });
}
