/** /v1/api-keys: admin only; the key itself appears once, in the creation answer. */
import type { FastifyInstance } from "fastify";
import { issueApiKey, listApiKeys, revokeApiKey } from "../../../../app/admin/api-keys.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { type ApiKey, ROLES, type Role } from "../../../../domain/model.ts";
import { type PageQuery, resourceRoutes } from "./resource-routes.ts";
import { ID, iso, isoOrNull, NAME, nullable, object, record, TIME } from "./schemas.ts";

const TAGS = ["api keys"];

const API_KEY = record({
  id: ID,
  name: { type: "string" },
  role: { type: "string", enum: [...ROLES] },
  operator_id: nullable(ID),
  affiliate_id: nullable(ID),
  prefix: { type: "string", description: "First characters of the key, to recognise it." },
  created_at: TIME,
  last_used_at: nullable(TIME),
  revoked_at: nullable(TIME),
});

const keyJson = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  operator_id: k.operatorId,
  affiliate_id: k.affiliateId,
  prefix: k.prefix,
  created_at: iso(k.createdAt),
  last_used_at: isoOrNull(k.lastUsedAt),
  revoked_at: isoOrNull(k.revokedAt),
});

interface KeyBody {
  name: string;
  role: Role;
  operator_id?: number | null;
  affiliate_id?: number | null;
}

const CREATE_BODY = object(
  {
    name: NAME,
    role: { type: "string", enum: [...ROLES] },
    operator_id: nullable(ID),
    affiliate_id: nullable(ID),
  },
  ["name", "role"],
);

const CREATED = {
  ...API_KEY,
  properties: {
    ...(API_KEY["properties"] as object),
    key: { type: "string", description: "Shown only in this answer." },
  },
};

export async function apiKeyRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const keys = resourceRoutes(app, { path: "/api-keys", tags: TAGS, item: API_KEY, wire: keyJson });
  keys.create({
    summary: "Create an API key",
    description: "operator keys need operator_id, affiliate keys affiliate_id, admin keys neither.",
    body: CREATE_BODY,
    response: CREATED,
    run: (principal, b: KeyBody) =>
      issueApiKey(deps, principal, {
        name: b.name,
        role: b.role,
        operatorId: b.operator_id,
        affiliateId: b.affiliate_id,
      }),
    answer: ({ apiKey, secret }) => ({ ...keyJson(apiKey), key: secret }),
  });
  keys.list({
    summary: "List API keys (never the key or its hash)",
    filters: { operator_id: ID, affiliate_id: ID },
    load: (principal, page, q: PageQuery & { operator_id?: number; affiliate_id?: number }) =>
      listApiKeys(deps, principal, {
        ...page,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
      }),
  });
  keys.remove({
    summary: "Revoke an API key (the last live admin key is kept)",
    run: (principal, id) => revokeApiKey(deps, principal, id),
  });
}
