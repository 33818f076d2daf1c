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
import { resourceRoutes } from "./resource-routes.ts";
import { ID, iso, NAME, nullable, object, record, TIME } from "./schemas.ts";

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

const affiliateJson = (a: Affiliate) => ({
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

export async function affiliateRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const affiliates = resourceRoutes(app, {
    path: "/affiliates",
    tags: TAGS,
    item: AFFILIATE,
    wire: affiliateJson,
  });
  affiliates.create({
    summary: "Create an affiliate",
    body: { ...BODY, required: ["name"] },
    run: (principal, body: AffiliateBody) => createAffiliate(deps, principal, body),
  });
  affiliates.update({
    summary: "Change an affiliate",
    body: { ...BODY, minProperties: 1 },
    run: (principal, id, body: Partial<AffiliateBody>) => updateAffiliate(deps, principal, id, body),
  });
  affiliates.list({
    summary: "List affiliates (an affiliate key sees its own)",
    load: (principal, page) => listAffiliates(deps, principal, page),
  });
  affiliates.get({ summary: "Get an affiliate", load: (principal, id) => getAffiliate(deps, principal, id) });
}
