/**
 * The type provider of the routes: request parts (params, querystring, body, headers) are typed
 * from their TypeBox schemas, as @fastify/type-provider-typebox does. Answers are not: the *-json.ts
 * presenters write them from domain records whose arrays are readonly, which TypeBox's static
 * (mutable) types refuse; the response schemas still shape what is sent, and the OpenAPI tests
 * check the answers against the document.
 */
import type { FastifyInstance, FastifyTypeProvider } from "fastify";
import type { Static, TSchema } from "typebox";

export interface TypedRequests extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
  serializer: unknown;
}

/** `app` with request types taken from the route schemas. */
export const typed = (app: FastifyInstance) => app.withTypeProvider<TypedRequests>();
