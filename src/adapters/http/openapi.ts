/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the routes as registered. An onRoute
 * hook records every route with its schema (the same schemas that validate and serialise), so the
 * document cannot drift from the code; only the routes without schemas (the postback contract,
 * clicks, probes) are described here by hand.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from "fastify";
import { UNATTRIBUTED_REASONS } from "../../app/records.ts";
import { CONTRACT_FIELDS } from "../../domain/postback-params.ts";
import { ERROR } from "./routes/admin/schemas.ts";

type Json = Record<string, unknown>;

interface RouteRecord {
  readonly method: string;
  readonly url: string;
  readonly schema: Json | undefined;
  readonly exposeHeadRoute: boolean | undefined;
}

export interface OpenApiOptions {
  readonly publicUrl: string;
}

const errorRef = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const FIELD_DOCS: Record<string, string> = {
  event:
    "Event type: registration, ftd, deposit, bonus, revenue, qualified_trader, trade, challenge_purchase, evaluation_pass, funded, refund, chargeback, reversal, or the program's own.",
  txid: "Your unique id of this event: the idempotency key (required).",
  click_id: "From the click; needed until a player_id is linked.",
  player_id: "Your customer id; links later events to the first click.",
  amount: "Exact decimal string in the currency's minor unit (JPY 0 decimals, BHD 3).",
  currency: "ISO 4217 code.",
  lots: "Forex volume in lots (decimal).",
  reverses: "For refund/chargeback/reversal: the txid of the event reversed.",
  occurred_at: "ISO 8601 with time zone, or unix seconds; default: receipt time.",
  sub_id: "Kept as received.",
  test: "1: test mode (full pipeline, flagged, no money).",
  program_id: "The program, when the operator has several and the click does not tell.",
};
const AUTH_DOCS: Array<[string, string]> = [
  ["ts", "GET signing: unix seconds (5 minute tolerance)."],
  [
    "sig",
    "GET signing: hex HMAC-SHA256 over the canonical query (all parameters but sig, RFC 3986, sorted).",
  ],
  ["token", "Static token, for operators configured with one (only together with an IP allowlist)."],
];

const ANSWER: Json = {
  description:
    "accepted, or duplicate (the same txid and content: the original answer again). A 2xx means committed.",
  headers: {
    "Idempotent-Replayed": {
      description: "`true` on a duplicate: this answer replays the one first given for the txid.",
      schema: { type: "string", enum: ["true"] },
    },
  },
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          code: { type: "string", enum: ["accepted", "duplicate"] },
          conversion_id: { type: "string" },
          attributed: { type: "boolean" },
          unattributed_reason: { type: "string", enum: [...UNATTRIBUTED_REASONS] },
          test: { type: "boolean" },
        },
        required: ["code", "conversion_id", "attributed"],
      },
    },
  },
};

const POSTBACK_RESPONSES: Json = {
  200: ANSWER,
  400: errorRef("Invalid input; `field` names it."),
  401: errorRef("missing_signature, invalid_signature, signature_expired or invalid_token."),
  403: errorRef("ip_not_allowed or operator_disabled."),
  404: errorRef("unknown_operator."),
  409: errorRef("txid_conflict: the same txid with different content."),
  413: errorRef("payload_too_large."),
  429: errorRef("overloaded; retry after Retry-After seconds."),
  503: errorRef("storage_unavailable; retry after Retry-After seconds."),
};

const param = (name: string, where: string, description: string): Json => ({
  name,
  in: where,
  description,
  schema: { type: "string" },
});

function postbackParameters(method: "get" | "post"): Json[] {
  const key = { ...param("operatorKey", "path", "The operator's public key."), required: true };
  const auth = AUTH_DOCS.map(([name, description]) => param(name, "query", description));
  if (method === "get") {
    return [key, ...CONTRACT_FIELDS.map((f) => param(f, "query", FIELD_DOCS[f] ?? f)), ...auth];
  }
  const headers = ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) =>
    param(
      name,
      "header",
      name === "webhook-id"
        ? "Standard Webhooks message id (use the txid): printable ASCII, at most 255 characters."
        : "Standard Webhooks signature header.",
    ),
  );
  return [key, auth[2]!, ...headers];
}

const POSTBACK_BODY = {
  type: "object",
  properties: Object.fromEntries(
    CONTRACT_FIELDS.map((f) => [f, { type: "string", description: FIELD_DOCS[f] }]),
  ),
  additionalProperties: { type: "string" },
};

function postbackOperation(method: "get" | "post"): Json {
  const get = method === "get";
  return {
    operationId: `${method}Postback`,
    summary: get
      ? "Report a conversion (query string, signed with ts and sig)"
      : "Report a conversion (JSON or form body, Standard Webhooks headers)",
    description:
      "The postback contract v1. Names and values go through the operator's parameter mapping; every request lands in the request log; operators retry any non-2xx.",
    tags: ["postback"],
    security: [],
    parameters: postbackParameters(method),
    ...(get
      ? {}
      : {
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: POSTBACK_BODY },
              "application/x-www-form-urlencoded": { schema: POSTBACK_BODY },
            },
          },
        }),
    responses: POSTBACK_RESPONSES,
  };
}

const html = (description: string): Json => ({
  description,
  content: { "text/html": { schema: { type: "string" } } },
});

/** Operations of the routes that have no schema, by "METHOD path". */
const HAND_WRITTEN: Record<string, Json> = {
  "GET /v1/postback/{operatorKey}": postbackOperation("get"),
  "POST /v1/postback/{operatorKey}": postbackOperation("post"),
  "GET /c/{code}": {
    summary: "Follow a tracking link: records the click and redirects to the landing URL",
    tags: ["clicks"],
    security: [],
    parameters: [
      { name: "code", in: "path", required: true, schema: { type: "string" } },
      ...[1, 2, 3, 4, 5].map((n) => ({
        name: `sub${n}`,
        in: "query",
        schema: { type: "string", maxLength: 256 },
      })),
    ],
    responses: {
      302: {
        description:
          "To the landing URL with {click_id}, {sub1}… substituted (or the program's fallback URL for a paused link).",
      },
      404: html("Unknown or paused link."),
      503: html("Temporarily unavailable; Retry-After given."),
    },
  },
  "HEAD /c/{code}": {
    summary: "Refused so that link checkers do not count as clicks",
    tags: ["clicks"],
    security: [],
    responses: { 405: { description: "Allow: GET." } },
  },
  "GET /healthz": {
    summary: "Liveness: answers while the process runs",
    tags: ["health"],
    security: [],
    responses: {
      200: {
        description: "ok",
        content: {
          "application/json": { schema: { type: "object", properties: { status: { const: "ok" } } } },
        },
      },
    },
  },
  "GET /readyz": {
    summary: "Readiness: the database takes writes and the instance is not draining",
    tags: ["health"],
    security: [],
    responses: {
      200: { description: "ready" },
      503: { description: "draining or storage_unavailable; Retry-After given." },
    },
  },
};

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function parametersOf(schema: Json): Json[] {
  const out: Json[] = [];
  for (const [part, where] of [
    ["params", "path"],
    ["querystring", "query"],
  ] as const) {
    const s = schema[part] as { properties?: Record<string, Json>; required?: string[] } | undefined;
    for (const [name, property] of Object.entries(s?.properties ?? {})) {
      const required = where === "path" || (s?.required ?? []).includes(name);
      const { description, ...rest } = property;
      out.push({ name, in: where, required, ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

function responsesOf(schema: Json): Json {
  const responses: Json = {};
  for (const [status, response] of Object.entries((schema["response"] ?? {}) as Record<string, Json>)) {
    const description = String(response["description"] ?? (Number(status) < 300 ? "Success." : "Error."));
    responses[status] =
      Number(status) >= 400
        ? errorRef(description)
        : { description, content: { "application/json": { schema: response } } };
  }
  return Object.keys(responses).length ? responses : { default: { description: "See docs/api.md." } };
}

/** A body whose schema admits null (e.g. rotate-secret's options) may be left out. */
function requestBodyOf(body: Json): Json {
  const type = body["type"];
  const required = !(Array.isArray(type) && type.includes("null"));
  return { required, content: { "application/json": { schema: body } } };
}

function operationOf(route: RouteRecord, path: string): Json {
  const handWritten = HAND_WRITTEN[`${route.method} ${path}`];
  if (handWritten) return handWritten;
  const schema = route.schema ?? {};
  const { summary, description, tags, security, body } = schema;
  return {
    operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: summary ?? `${route.method} ${path}`,
    ...(description ? { description } : {}),
    ...(tags ? { tags } : {}),
    security: security ?? [],
    parameters: parametersOf(schema),
    ...(body ? { requestBody: requestBodyOf(body as Json) } : {}),
    responses: route.schema ? responsesOf(schema) : { "405": errorRef("method_not_allowed.") },
  };
}

/** The OpenAPI 3.1 document for the recorded routes. */
export function buildDocument(routes: readonly RouteRecord[], publicUrl: string): Json {
  const paths: Record<string, Json> = {};
  const gets = new Set(
    routes.filter((r) => r.method === "GET" && r.exposeHeadRoute !== false).map((r) => r.url),
  );
  for (const route of routes) {
    // Fastify adds HEAD to each GET by itself: HTTP implies it, so it is not listed.
    if (route.method === "HEAD" && gets.has(route.url)) continue;
    const path = toOpenApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route, path) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Postwire API",
      version: "1",
      description:
        "Server-to-server conversion tracking: the postback contract, click tracking and the admin API (docs/api.md).",
    },
    servers: [{ url: publicUrl }],
    paths,
    components: {
      schemas: { Error: ERROR },
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key: Authorization: Bearer pw_…" },
      },
    },
  };
}

/**
 * Registered first in buildServer. `skip-override` (what fastify-plugin sets) keeps the hook in
 * the root context, so it sees the routes every later plugin registers.
 */
export function openApiRoutes(
  app: FastifyInstance,
  options: OpenApiOptions,
  done: (err?: Error) => void,
): void {
  const routes: RouteRecord[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        schema: route.schema as Json | undefined,
        exposeHeadRoute: route.exposeHeadRoute,
      });
    }
  });
  let document: string | undefined;
  app.get(
    "/openapi.json",
    { schema: { summary: "This OpenAPI 3.1 document", tags: ["meta"] } as FastifySchema },
    async (_request, reply) => {
      document ??= JSON.stringify(buildDocument(routes, options.publicUrl));
      return reply.type("application/json; charset=utf-8").send(document);
    },
  );
  done();
}
Object.assign(openApiRoutes, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "openapi",
});
