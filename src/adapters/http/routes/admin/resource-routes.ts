/**
 * The list/get/create/update/remove routes of an admin resource, built from what differs: the
 * path, the record's schema and wire shape, and the use-case call. Each call registers its route
 * at once, so routes (and /openapi.json) keep the order the resource file states them in.
 * Scoping stays in the use cases: they get the caller's principal and refuse what it may not see.
 * Bodies and queries are cast to the caller's types: the route schema has validated them (Fastify
 * cannot infer its request types through a generic parameter).
 */
import type { FastifyInstance } from "fastify";
import type { Principal } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import { idAfter, pageOf } from "../../cursor.ts";
import { adminSchema, idParams, listOf, object, PAGE, type Schema } from "./schemas.ts";

/** What every route of the resource shares. */
export interface ResourceSpec<Row> {
  /** The collection, e.g. "/affiliates"; one record is at `${path}/:id`. */
  readonly path: string;
  readonly tags: readonly string[];
  /** The response schema of one record. */
  readonly item: Schema;
  /** A record as written to JSON (matching `item`). */
  readonly wire: (row: Row) => unknown;
}

interface Doc {
  readonly summary: string;
  readonly description?: string;
}

/** GET path: a page of records in id order, `limit`/`cursor` plus the resource's own filters. */
export interface ListRoute<Row, Query> extends Doc {
  readonly filters?: Record<string, Schema>;
  readonly load: (principal: Principal, page: IdPage, query: Query) => Promise<readonly Row[]>;
}

/** GET path/:id. */
export interface GetRoute<Row> extends Doc {
  readonly load: (principal: Principal, id: number) => Promise<Row>;
}

/** POST path, answering 201. */
export interface CreateRoute<Body, Result> extends Doc {
  readonly body: Schema;
  readonly run: (principal: Principal, body: Body) => Promise<Result>;
}

/** POST path answering more than the record (a secret shown once): its own schema and shape. */
export interface CreateShownOnce<Body, Result> extends CreateRoute<Body, Result> {
  readonly response: Schema;
  readonly answer: (result: Result) => unknown;
}

/** PATCH path/:id with a body, or DELETE path/:id without one; both answer the record. */
export interface ChangeRoute<Row, Body> extends Doc {
  readonly body?: Schema;
  readonly run: (principal: Principal, id: number, body: Body) => Promise<Row>;
}

export interface PageQuery {
  readonly limit: number;
  readonly cursor?: string;
}

/** The page as the use cases take it: rows with an id greater than `after`. */
export interface IdPage {
  readonly limit: number;
  readonly after: number | undefined;
}

export interface ResourceRoutes<Row> {
  list<Query extends PageQuery = PageQuery>(route: ListRoute<Row, Query>): void;
  get(route: GetRoute<Row>): void;
  // The shown-once form first: TypeScript types `answer`'s parameter from the first overload tried.
  create<Body, Result>(route: CreateShownOnce<Body, Result>): void;
  create<Body>(route: CreateRoute<Body, Row>): void;
  update<Body>(route: ChangeRoute<Row, Body> & { readonly body: Schema }): void;
  remove(route: ChangeRoute<Row, undefined> & { readonly body?: never }): void;
}

export function resourceRoutes<Row extends { readonly id: number }>(
  app: FastifyInstance,
  spec: ResourceSpec<Row>,
): ResourceRoutes<Row> {
  const { path, tags, item, wire } = spec;
  const one = `${path}/:id`;
  const doc = (route: Doc) => ({
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags,
  });

  function change<Body>(method: "patch" | "delete", route: ChangeRoute<Row, Body>): void {
    const schema = adminSchema({
      ...doc(route),
      params: idParams,
      ...(route.body === undefined ? {} : { body: route.body }),
      response: { 200: item },
    });
    app[method]<{ Params: { id: number } }>(one, { schema }, async (request) =>
      wire(await route.run(principalOf(request), request.params.id, request.body as Body)),
    );
  }

  return {
    list<Query extends PageQuery>(route: ListRoute<Row, Query>): void {
      const schema = adminSchema({
        ...doc(route),
        querystring: object({ ...PAGE, ...route.filters }),
        response: { 200: listOf(item) },
      });
      app.get(path, { schema }, async (request) => {
        const query = request.query as Query;
        const page = { limit: query.limit, after: idAfter(query.cursor) };
        const rows = await route.load(principalOf(request), page, query);
        return pageOf(rows, query.limit, wire, (row) => [row.id]);
      });
    },
    get(route: GetRoute<Row>): void {
      const schema = adminSchema({ ...doc(route), params: idParams, response: { 200: item } });
      app.get<{ Params: { id: number } }>(one, { schema }, async (request) =>
        wire(await route.load(principalOf(request), request.params.id)),
      );
    },
    create<Body, Result>(route: CreateRoute<Body, Result> | CreateShownOnce<Body, Result>): void {
      const shownOnce = "answer" in route ? route : undefined;
      const schema = adminSchema({
        ...doc(route),
        body: route.body,
        response: { 201: shownOnce?.response ?? item },
      });
      app.post(path, { schema }, async (request, reply) => {
        const result = await route.run(principalOf(request), request.body as Body);
        // Without `answer`, the overloads have made Result the record itself.
        return reply.status(201).send(shownOnce ? shownOnce.answer(result) : wire(result as unknown as Row));
      });
    },
    update: (route) => change("patch", route),
    remove: (route) => change("delete", route),
  };
}
