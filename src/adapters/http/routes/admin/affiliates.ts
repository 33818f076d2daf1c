/** /v1/affiliates. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import {
  createAffiliate,
  getAffiliate,
  listAffiliates,
  updateAffiliate,
} from "../../../../app/admin/affiliates.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { type Affiliate, STATUSES } from "../../../../domain/model.ts";
import { patchOf, resourceRoutes } from "./resource-routes.ts";
import { ID, iso, NAME, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["affiliates"];
const STATUS = OneOf(STATUSES);

export const AFFILIATE = Type.Object({
  id: ID,
  name: Type.String(),
  email: Nullable(Type.String()),
  status: STATUS,
  created_at: TIME,
  updated_at: TIME,
});

const affiliateJson = (a: Affiliate) => ({
  id: a.id,
  name: a.name,
  email: a.email,
  status: a.status,
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
});

const BODY = Strict({
  name: NAME,
  email: Type.Optional(Nullable(Type.String({ format: "email", maxLength: 320 }))),
  status: Type.Optional(STATUS),
});

export async function affiliateRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const affiliates = resourceRoutes(app, {
    path: "/affiliates",
    tags: TAGS,
    item: AFFILIATE,
    toJson: affiliateJson,
  });
  affiliates.create({
    summary: "Create an affiliate",
    body: BODY,
    run: (principal, body) => createAffiliate(deps, principal, body),
  });
  affiliates.update({
    summary: "Change an affiliate",
    body: patchOf(BODY),
    run: (principal, id, body) => updateAffiliate(deps, principal, id, body),
  });
  affiliates.list({
    summary: "List affiliates (an affiliate key sees its own)",
    load: (principal, page) => listAffiliates(deps, principal, page),
  });
  affiliates.get({ summary: "Get an affiliate", load: (principal, id) => getAffiliate(deps, principal, id) });
}
