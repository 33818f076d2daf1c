/**
 * The type provider of the routes (@fastify/type-provider-typebox): request parts (params,
 * querystring, body, headers) are typed from their TypeBox schemas, and what a handler answers is
 * checked against its response schemas.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";

/** `app` with request and answer types taken from the route schemas. */
export const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
