/** /v1/affiliates. */
import type { FastifyInstance } from "fastify";
import {
  createAffiliate,
  getAffiliate,
  listAffiliates,
  updateAffiliate,
} from "../../../../app/admin/affiliates.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { type Affiliate, STATUSES, type Status } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import {
  adminSchema,
  ID,
  idParams,
  iso,
  NAME,
  nullable,
  object,
  PAGE,
  page,
  pageOf,
  record,
  TIME,
} from "./schemas.ts";

const TAGS = ["affiliates"];
const STATUS = { type: "string", enum: [...STATUSES] };
const EMAIL = nullable({ type: "string", format: "email", maxLength: 320 });

export const AFFILIATE = record({
  id: ID,
  name: { type: "string" },
  email: nullable({ type: "string" }),
  status: STATUS,
  created_at: TIME,
  updated_at: TIME,
});

const affiliateWire = (a: Affiliate) => ({
  id: a.id,
  name: a.name,
  email: a.email,
  status: a.status,
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
});

interface AffiliateBody {
  name: string;
  email?: string | null;
  status?: Status;
}

const BODY = object({ name: NAME, email: EMAIL, status: STATUS });

function write(app: FastifyInstance, deps: AdminDeps): void {
  const create = adminSchema({
    summary: "Create an affiliate",
    tags: TAGS,
    body: { ...BODY, required: ["name"] },
    response: { 201: AFFILIATE },
  });
  app.post<{ Body: AffiliateBody }>("/affiliates", { schema: create }, async (request, reply) => {
    const affiliate = await createAffiliate(deps, principalOf(request), request.body);
    return reply.status(201).send(affiliateWire(affiliate));
  });
  const update = adminSchema({
    summary: "Change an affiliate",
    tags: TAGS,
    params: idParams,
    body: { ...BODY, minProperties: 1 },
    response: { 200: AFFILIATE },
  });
  app.patch<{ Params: { id: number }; Body: Partial<AffiliateBody> }>(
    "/affiliates/:id",
    { schema: update },
    async (request) =>
      affiliateWire(await updateAffiliate(deps, principalOf(request), request.params.id, request.body)),
  );
}

function read(app: FastifyInstance, deps: AdminDeps): void {
  const list = adminSchema({
    summary: "List affiliates (an affiliate key sees its own)",
    tags: TAGS,
    querystring: object({ ...PAGE }),
    response: { 200: pageOf(AFFILIATE) },
  });
  app.get<{ Querystring: { limit?: number; after?: number } }>(
    "/affiliates",
    { schema: list },
    async (request) => {
      const rows = await listAffiliates(deps, principalOf(request), request.query);
      return page(rows, request.query.limit, affiliateWire);
    },
  );
  const one = adminSchema({
    summary: "Get an affiliate",
    tags: TAGS,
    params: idParams,
    response: { 200: AFFILIATE },
  });
  app.get<{ Params: { id: number } }>("/affiliates/:id", { schema: one }, async (request) =>
    affiliateWire(await getAffiliate(deps, principalOf(request), request.params.id)),
  );
}

export async function affiliateRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  write(app, deps);
  read(app, deps);
}
