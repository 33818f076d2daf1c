/** /v1/api-keys: admin only; the key itself appears once, in the creation answer. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { issueApiKey, listApiKeys, revokeApiKey } from "../../../../app/admin/api-keys.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { type ApiKey, ROLES } from "../../../../domain/model.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { ID, iso, isoOrNull, NAME, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["api keys"];

const API_KEY_PROPERTIES = {
  id: ID,
  name: Type.String(),
  role: OneOf(ROLES),
  operator_id: Nullable(ID),
  affiliate_id: Nullable(ID),
  prefix: Type.String({ description: "First characters of the key, to recognise it." }),
  created_at: TIME,
  last_used_at: Nullable(TIME),
  revoked_at: Nullable(TIME),
};
const API_KEY = Type.Object(API_KEY_PROPERTIES);

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

const CREATE_BODY = Strict({
  name: NAME,
  role: OneOf(ROLES),
  operator_id: Type.Optional(Nullable(ID)),
  affiliate_id: Type.Optional(Nullable(ID)),
});

const CREATED = Type.Object({
  ...API_KEY_PROPERTIES,
  key: Type.String({ description: "Shown only in this answer." }),
});

export async function apiKeyRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const keys = resourceRoutes(app, { path: "/api-keys", tags: TAGS, item: API_KEY, toJson: keyJson });
  keys.create({
    summary: "Create an API key",
    description: "operator keys need operator_id, affiliate keys affiliate_id, admin keys neither.",
    body: CREATE_BODY,
    response: CREATED,
    run: (principal, b) =>
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
    filters: { operator_id: Type.Optional(ID), affiliate_id: Type.Optional(ID) },
    load: (principal, page, q) =>
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
