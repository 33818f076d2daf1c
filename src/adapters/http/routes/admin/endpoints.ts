/** /v1/endpoints: affiliates' outbound postback endpoints, their re-enabling and "send test". */
import type { FastifyInstance } from "fastify";
import {
  createEndpoint,
  type EndpointInput,
  getEndpoint,
  listEndpoints,
  type OutboundAdminDeps,
  sendTest,
  updateEndpoint,
} from "../../../../app/delivery/endpoints.ts";
import { OUTBOUND_MACROS } from "../../../../app/delivery/outbound-message.ts";
import { ENDPOINT_METHODS, ENDPOINT_STATUSES, FIRE_STATUSES } from "../../../../app/delivery/outbox-port.ts";
import { principalOf } from "../../api-auth.ts";
import { ENDPOINT, endpointWire } from "./endpoints-wire.ts";
import { adminSchema, ID, idParams, NAME, nullable, object, PAGE, page, pageOf, record } from "./schemas.ts";

const TAGS = ["endpoints"];

/** What the endpoint routes need beyond the admin dependencies. */
export type OutboundRouteDeps = Omit<OutboundAdminDeps, "store" | "catalog" | "clock" | "ids" | "publicUrl">;

interface EndpointBody {
  affiliate_id?: number;
  name?: string;
  url_template: string;
  method?: EndpointInput["method"];
  events?: string[];
  program_ids?: number[];
  statuses?: EndpointInput["statuses"];
  delay_seconds?: number;
  include_test?: boolean;
  status?: EndpointInput["status"];
}

const BODY = object({
  affiliate_id: ID,
  name: NAME,
  url_template: {
    type: "string",
    minLength: 1,
    maxLength: 2000,
    description: `Absolute http(s) URL; macros: ${OUTBOUND_MACROS.map((m) => `{${m}}`).join(" ")}`,
  },
  method: { type: "string", enum: [...ENDPOINT_METHODS] },
  events: { type: "array", items: { type: "string", maxLength: 40 }, maxItems: 100 },
  program_ids: { type: "array", items: ID, maxItems: 1000 },
  statuses: { type: "array", items: { type: "string", enum: [...FIRE_STATUSES] }, minItems: 1 },
  delay_seconds: { type: "integer", minimum: 0, maximum: 86_400 },
  include_test: { type: "boolean" },
  status: { type: "string", enum: [...ENDPOINT_STATUSES] },
});

const inputOf = (b: Partial<EndpointBody>): Partial<EndpointInput> => ({
  affiliateId: b.affiliate_id,
  name: b.name,
  ...(b.url_template === undefined ? {} : { urlTemplate: b.url_template }),
  method: b.method,
  events: b.events,
  programIds: b.program_ids,
  statuses: b.statuses,
  delaySeconds: b.delay_seconds,
  includeTest: b.include_test,
  status: b.status,
});

const TEST_RESULT = record({
  request: record({
    method: { type: "string" },
    url: { type: "string" },
    headers: { type: "object", additionalProperties: { type: "string" } },
    body: nullable({ type: "string" }),
  }),
  ok: { type: "boolean" },
  status: nullable({ type: "integer" }),
  error: nullable({ type: "string" }),
  detail: nullable({ type: "string" }),
  latency_ms: { type: "number" },
  response_snippet: { type: "string" },
});

function write(app: FastifyInstance, deps: OutboundAdminDeps): void {
  const create = adminSchema({
    summary: "Register an outbound endpoint (its signing secret is shown once)",
    tags: TAGS,
    body: { ...BODY, required: ["url_template"] },
    response: {
      201: { ...ENDPOINT, properties: { ...(ENDPOINT["properties"] as object), secret: { type: "string" } } },
    },
  });
  app.post<{ Body: EndpointBody }>("/endpoints", { schema: create }, async (request, reply) => {
    const body = request.body;
    const input = { ...inputOf(body), urlTemplate: body.url_template };
    const { endpoint, secret } = await createEndpoint(deps, principalOf(request), input);
    return reply.status(201).send({ ...endpointWire(endpoint), secret });
  });
  const update = adminSchema({
    summary: "Change an endpoint; status=active re-enables one that was disabled",
    tags: TAGS,
    params: idParams,
    body: { ...BODY, minProperties: 1 },
    response: { 200: ENDPOINT },
  });
  app.patch<{ Params: { id: number }; Body: Partial<EndpointBody> }>(
    "/endpoints/:id",
    { schema: update },
    async (request) =>
      endpointWire(
        await updateEndpoint(deps, principalOf(request), request.params.id, inputOf(request.body)),
      ),
  );
  const test = adminSchema({
    summary: "Send a sample postback now and show the full result",
    tags: TAGS,
    params: idParams,
    response: { 200: TEST_RESULT },
  });
  app.post<{ Params: { id: number } }>("/endpoints/:id/test", { schema: test }, async (request) => {
    const { request: sent, result } = await sendTest(deps, principalOf(request), request.params.id);
    return {
      request: { method: sent.method, url: sent.url, headers: sent.headers, body: sent.body ?? null },
      ok: result.ok,
      status: result.status,
      error: result.error,
      detail: result.detail,
      latency_ms: result.latencyMs,
      response_snippet: result.responseSnippet,
    };
  });
}

function read(app: FastifyInstance, deps: OutboundAdminDeps): void {
  const list = adminSchema({
    summary: "List endpoints (an affiliate key sees its own)",
    tags: TAGS,
    querystring: object({ ...PAGE, affiliate_id: ID }),
    response: { 200: pageOf(ENDPOINT) },
  });
  app.get<{ Querystring: { limit?: number; after?: number; affiliate_id?: number } }>(
    "/endpoints",
    { schema: list },
    async (request) => {
      const { limit, after, affiliate_id } = request.query;
      const rows = await listEndpoints(deps, principalOf(request), {
        limit,
        after,
        affiliateId: affiliate_id,
      });
      return page(rows, limit, endpointWire);
    },
  );
  const one = adminSchema({
    summary: "Get an endpoint",
    tags: TAGS,
    params: idParams,
    response: { 200: ENDPOINT },
  });
  app.get<{ Params: { id: number } }>("/endpoints/:id", { schema: one }, async (request) =>
    endpointWire(await getEndpoint(deps, principalOf(request), request.params.id)),
  );
}

export async function endpointRoutes(app: FastifyInstance, deps: OutboundAdminDeps): Promise<void> {
  write(app, deps);
  read(app, deps);
}
