/**
 * GET /openapi.json: the OpenAPI 3.1 document @fastify/swagger generates from the route schemas
 * (the same schemas that validate requests and serialise answers), so the document cannot drift
 * from the code. The hot routes (hot-routes.ts) are described by their Fastify routes, which
 * answer alike whenever the node:http handler leaves a request to them.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import Type from "typebox";

export interface OpenApiOptions {
  readonly publicUrl: string;
}

type Json = Record<string, unknown>;

/**
 * Fastify needs a body once a route has a body schema, so @fastify/swagger marks every request
 * body required; a body whose schema admits null (rotate-secret's options) may be left out.
 */
function optionalNullBodies(document: Json): Json {
  for (const item of Object.values((document["paths"] ?? {}) as Record<string, Record<string, Json>>)) {
    for (const operation of Object.values(item)) {
      const body = operation["requestBody"] as
        | { required?: boolean; content?: Record<string, Json> }
        | undefined;
      const type = (body?.content?.["application/json"]?.["schema"] as Json | undefined)?.["type"];
      if (body && Array.isArray(type) && type.includes("null")) body.required = false;
    }
  }
  return document;
}

const DOCUMENT = {
  summary: "This OpenAPI 3.1 document",
  tags: ["meta"],
  security: [],
  response: {
    200: {
      description: "The document (no API key needed).",
      content: { "application/json": { schema: Type.Object({}, { additionalProperties: true }) } },
    },
  },
};

/**
 * Registered first in buildServer, so that swagger's onRoute hook sees every route registered after
 * it. `skip-override` (what fastify-plugin sets) keeps the hook in the root context.
 */
export async function openApiRoutes(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Postwire API",
        version: "1",
        description:
          "Server-to-server conversion tracking: the postback contract, click tracking and the admin API (docs/api.md).",
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "An API key: Authorization: Bearer pw_…" },
        },
      },
    },
    // Typed as a union of Swagger 2 and OpenAPI 3 wrappers; in openapi mode it holds openapiObject.
    transformObject: (document) => optionalNullBodies((document as { openapiObject: Json }).openapiObject),
  });
  let document: string | undefined;
  app.get("/openapi.json", { schema: DOCUMENT }, async (_request, reply) => {
    document ??= JSON.stringify(app.swagger());
    return reply.type("application/json; charset=utf-8").send(document);
  });
}
Object.assign(openApiRoutes, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "openapi",
});
