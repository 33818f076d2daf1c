/**
 * /v1/endpoints: affiliates' outbound postback endpoints, their re-enabling, "send test" and
 * signing-secret rotation.
 */
import type { FastifyInstance } from "fastify";
import Type, { type Static } from "typebox";
import {
  createEndpoint,
  type EndpointInput,
  getEndpoint,
  listEndpoints,
  type OutboundAdminDeps,
  rotateEndpointSecret,
  sendTest,
  updateEndpoint,
} from "../../../../app/delivery/endpoints.ts";
import { OUTBOUND_MACROS } from "../../../../app/delivery/outbound-message.ts";
import { ENDPOINT_METHODS, ENDPOINT_STATUSES, FIRE_STATUSES } from "../../../../app/delivery/outbox-port.ts";
import type { OutboundRequest, SendResult } from "../../../../app/delivery/sender-port.ts";
import { DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS } from "../../../../domain/secret-rotation.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { ENDPOINT, endpointJson } from "./endpoints-json.ts";
import { patchOf, resourceRoutes } from "./resource-routes.ts";
import { adminSchema, ID, idParams, NAME, Nullable, OneOf, Strict } from "./schemas.ts";

const TAGS = ["endpoints"];

/** What the endpoint routes need beyond the admin dependencies. */
export type OutboundRouteDeps = Omit<OutboundAdminDeps, "store" | "catalog" | "clock" | "ids" | "publicUrl">;

const BODY_PROPERTIES = {
  affiliate_id: Type.Optional(ID),
  name: Type.Optional(NAME),
  url_template: Type.String({
    minLength: 1,
    maxLength: 2000,
    description: `Absolute http(s) URL; macros: ${OUTBOUND_MACROS.map((m) => `{${m}}`).join(" ")}`,
  }),
  method: Type.Optional(OneOf(ENDPOINT_METHODS)),
  events: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 100 })),
  program_ids: Type.Optional(Type.Array(ID, { maxItems: 1000 })),
  statuses: Type.Optional(Type.Array(OneOf(FIRE_STATUSES), { minItems: 1 })),
  delay_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  include_test: Type.Optional(Type.Boolean()),
  status: Type.Optional(OneOf(ENDPOINT_STATUSES)),
};
const CREATE_BODY = Strict(BODY_PROPERTIES);
type EndpointBody = Static<typeof CREATE_BODY>;

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

const CREATED = Type.Object({ ...ENDPOINT.properties, secret: Type.String() });

/** Optional: no body (or null) rotates with the default grace period. */
const ROTATE_BODY = Nullable(
  Strict({
    grace_hours: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_HOURS,
        default: DEFAULT_GRACE_HOURS,
        description: "How long the replaced secret keeps signing, next to the new one (0: it stops at once).",
      }),
    ),
  }),
);

/** The answer of a "send test": the exact request and what came back (alert webhooks use it too). */
export const TEST_RESULT = Type.Object({
  request: Type.Object({
    method: Type.String(),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    body: Nullable(Type.String()),
  }),
  ok: Type.Boolean(),
  status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  latency_ms: Type.Number(),
  response_snippet: Type.String(),
});

export const testResultJson = (sent: OutboundRequest, result: SendResult) => ({
  request: { method: sent.method, url: sent.url, headers: sent.headers, body: sent.body ?? null },
  ok: result.ok,
  status: result.status,
  error: result.error,
  detail: result.detail,
  latency_ms: result.latencyMs,
  response_snippet: result.responseSnippet,
});

export async function endpointRoutes(app: FastifyInstance, deps: OutboundAdminDeps): Promise<void> {
  const endpoints = resourceRoutes(app, {
    path: "/endpoints",
    tags: TAGS,
    item: ENDPOINT,
    toJson: endpointJson,
  });
  endpoints.create({
    summary: "Register an outbound endpoint (its signing secret is shown once)",
    body: CREATE_BODY,
    response: CREATED,
    run: (principal, body) =>
      createEndpoint(deps, principal, { ...inputOf(body), urlTemplate: body.url_template }),
    answer: ({ endpoint, secret }) => ({ ...endpointJson(endpoint), secret }),
  });
  endpoints.update({
    summary: "Change an endpoint; status=active re-enables one that was disabled",
    body: patchOf(CREATE_BODY),
    run: (principal, id, body) => updateEndpoint(deps, principal, id, inputOf(body)),
  });
  sendTestRoute(app, deps); // between, as before: /openapi.json keeps its order
  endpoints.list({
    summary: "List endpoints (an affiliate key sees its own)",
    filters: { affiliate_id: Type.Optional(ID) },
    load: (principal, page, { affiliate_id }) =>
      listEndpoints(deps, principal, { ...page, affiliateId: affiliate_id }),
  });
  endpoints.get({ summary: "Get an endpoint", load: (principal, id) => getEndpoint(deps, principal, id) });
  rotateSecretRoute(app, deps);
}

function rotateSecretRoute(app: FastifyInstance, deps: OutboundAdminDeps): void {
  const rotate = adminSchema({
    summary: "Rotate the signing secret (the new one is shown once)",
    description:
      "During the grace period every POST is signed with both secrets (`v1,<new> v1,<old>`); " +
      "`previous_secret_expires_at` says when the old one stops. A rotation during a grace " +
      "period replaces the secret on its way out with the current one.",
    tags: TAGS,
    params: idParams,
    body: ROTATE_BODY,
    response: { 200: CREATED },
  });
  typed(app).post("/endpoints/:id/rotate-secret", { schema: rotate }, async (request) => {
    const grace = request.body?.grace_hours;
    const { endpoint, secret } = await rotateEndpointSecret(
      deps,
      principalOf(request),
      request.params.id,
      grace,
    );
    return { ...endpointJson(endpoint), secret };
  });
}

function sendTestRoute(app: FastifyInstance, deps: OutboundAdminDeps): void {
  const test = adminSchema({
    summary: "Send a sample postback now and show the full result",
    tags: TAGS,
    params: idParams,
    response: { 200: TEST_RESULT },
  });
  typed(app).post("/endpoints/:id/test", { schema: test }, async (request) => {
    const { request: sent, result } = await sendTest(deps, principalOf(request), request.params.id);
    return testResultJson(sent, result);
  });
}
