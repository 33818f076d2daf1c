/**
 * The list/get/create/update/remove routes of an admin resource, built from what differs: the
 * path, the record's schema and JSON, and the use-case call. Each call registers its route at
 * once, so routes (and /openapi.json) keep the order the resource file states them in. Scoping
 * stays in the use cases: they get the caller's principal and refuse what it may not see.
 * Bodies and queries are typed from their TypeBox schemas: `run` and `load` get `Static<schema>`.
 */

import type { FastifyInstance } from "fastify";
import Type, { type Static, type TObject, type TProperties, type TSchema } from "typebox";
import type { Principal } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import { idAfter, pageOf } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { adminSchema, idParams, listOf, PAGE, Strict } from "./schemas.ts";

/** What every route of the resource shares. */
export interface ResourceSpec<Row> {
  /** The collection, e.g. "/affiliates"; one record is at `${path}/:id`. */
  readonly path: string;
  readonly tags: readonly string[];
  /** The response schema of one record. */
  readonly item: TSchema;
  /** A record as written to JSON (matching `item`). */
  readonly toJson: (row: Row) => unknown;
}

interface Doc {
  readonly summary: string;
  readonly description?: string;
}

/** The page as the use cases take it: rows with an id greater than `after`. */
export interface IdPage {
  readonly limit: number;
  readonly after: number | undefined;
}

/** GET path: a page of records in id order, `limit`/`cursor` plus the resource's own filters. */
export interface ListRoute<Row, F extends TProperties> extends Doc {
  readonly filters?: F;
  readonly load: (principal: Principal, page: IdPage, query: Static<TObject<F>>) => Promise<readonly Row[]>;
}

/** GET path/:id. */
export interface GetRoute<Row> extends Doc {
  readonly load: (principal: Principal, id: number) => Promise<Row>;
}

/** POST path, answering 201. */
export interface CreateRoute<B extends TSchema, Result> extends Doc {
  readonly body: B;
  readonly run: (principal: Principal, body: Static<B>) => Promise<Result>;
}

/** POST path answering more than the record (a secret shown once): its own schema and shape. */
export interface CreateShownOnce<B extends TSchema, Result> extends CreateRoute<B, Result> {
  readonly response: TSchema;
  readonly answer: (result: Result) => unknown;
}

/** PATCH path/:id with a body. */
export interface UpdateRoute<Row, B extends TSchema> extends Doc {
  readonly body: B;
  readonly run: (principal: Principal, id: number, body: Static<B>) => Promise<Row>;
}

/** DELETE path/:id, without a body. */
export interface RemoveRoute<Row> extends Doc {
  readonly run: (principal: Principal, id: number) => Promise<Row>;
}

export interface ResourceRoutes<Row> {
  list<F extends TProperties = Record<never, never>>(route: ListRoute<Row, F>): void;
  get(route: GetRoute<Row>): void;
  // The shown-once form first: TypeScript types `answer`'s parameter from the first overload tried.
  create<B extends TSchema, Result>(route: CreateShownOnce<B, Result>): void;
  create<B extends TSchema>(route: CreateRoute<B, Row>): void;
  update<B extends TSchema>(route: UpdateRoute<Row, B>): void;
  remove(route: RemoveRoute<Row>): void;
}

export function resourceRoutes<Row extends { readonly id: number }>(
  app: FastifyInstance,
  spec: ResourceSpec<Row>,
): ResourceRoutes<Row> {
  const api = typed(app);
  const { path, tags, item, toJson } = spec;
  const one = `${path}/:id`;
  const doc = (route: Doc) => ({
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags,
  });

  return {
    list<F extends TProperties>(route: ListRoute<Row, F>): void {
      const querystring = Strict({ ...PAGE, ...route.filters });
      const schema = adminSchema({ ...doc(route), querystring, response: { 200: listOf(item) } });
      api.get(path, { schema }, async (request) => {
        const { limit, cursor } = request.query;
        const rows = await route.load(
          principalOf(request),
          { limit, after: idAfter(cursor) },
          // The filters' type is generic here: TypeScript cannot narrow the merged object to it.
          request.query as Static<TObject<F>>,
        );
        return pageOf(rows, limit, toJson, (row) => [row.id]);
      });
    },
    get(route: GetRoute<Row>): void {
      const schema = adminSchema({ ...doc(route), params: idParams, response: { 200: item } });
      api.get(one, { schema }, async (request) =>
        toJson(await route.load(principalOf(request), request.params.id)),
      );
    },
    create<B extends TSchema, Result>(route: CreateRoute<B, Result> | CreateShownOnce<B, Result>): void {
      const shownOnce = "answer" in route ? route : undefined;
      const response = { 201: shownOnce?.response ?? item };
      const schema = adminSchema({ ...doc(route), body: route.body, response });
      api.post(path, { schema }, async (request, reply) => {
        // The body's schema is a type parameter here: the provider's type of it stays unresolved.
        const result = await route.run(principalOf(request), request.body as Static<B>);
        // Without `answer`, the overloads have made Result the record itself.
        return reply
          .status(201)
          .send(shownOnce ? shownOnce.answer(result) : toJson(result as unknown as Row));
      });
    },
    update<B extends TSchema>(route: UpdateRoute<Row, B>): void {
      const schema = adminSchema({
        ...doc(route),
        params: idParams,
        body: route.body,
        response: { 200: item },
      });
      api.patch(one, { schema }, async (request) =>
        toJson(await route.run(principalOf(request), request.params.id, request.body as Static<B>)),
      );
    },
    remove(route: RemoveRoute<Row>): void {
      const schema = adminSchema({ ...doc(route), params: idParams, response: { 200: item } });
      api.delete(one, { schema }, async (request) =>
        toJson(await route.run(principalOf(request), request.params.id)),
      );
    },
  };
}

/** A PATCH body: any of the create body's properties, at least one. */
export function patchOf<P extends TProperties>(body: TObject<P>) {
  return Type.Partial(body, { additionalProperties: false, minProperties: 1 });
}
