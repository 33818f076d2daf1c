/** /v1/api-keys: admin only; the key itself appears once, in the creation answer. */
import type { FastifyInstance } from "fastify";
import { issueApiKey, listApiKeys, revokeApiKey } from "../../../../app/admin/api-keys.ts";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { type ApiKey, ROLES, type Role } from "../../../../domain/model.ts";
import { principalOf } from "../../api-auth.ts";
import {
  adminSchema,
  ID,
  idParams,
  iso,
  isoOrNull,
  NAME,
  nullable,
  object,
  PAGE,
  page,
  pageOf,
  record,
  TIME,
} from "./schemas.ts";

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

const keyWire = (k: ApiKey) => ({
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

function create(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "Create an API key",
    description: "operator keys need operator_id, affiliate keys affiliate_id, admin keys neither.",
    tags: TAGS,
    body: CREATE_BODY,
    response: { 201: CREATED },
  });
  app.post<{ Body: KeyBody }>("/api-keys", { schema }, async (request, reply) => {
    const b = request.body;
    const { apiKey, secret } = await issueApiKey(deps, principalOf(request), {
      name: b.name,
      role: b.role,
      operatorId: b.operator_id,
      affiliateId: b.affiliate_id,
    });
    return reply.status(201).send({ ...keyWire(apiKey), key: secret });
  });
}

function listAndRevoke(app: FastifyInstance, deps: AdminDeps): void {
  const list = adminSchema({
    summary: "List API keys (never the key or its hash)",
    tags: TAGS,
    querystring: object({ ...PAGE, operator_id: ID, affiliate_id: ID }),
    response: { 200: pageOf(API_KEY) },
  });
  app.get<{ Querystring: { limit?: number; after?: number; operator_id?: number; affiliate_id?: number } }>(
    "/api-keys",
    { schema: list },
    async (request) => {
      const q = request.query;
      const filter = {
        limit: q.limit,
        after: q.after,
        operatorId: q.operator_id,
        affiliateId: q.affiliate_id,
      };
      return page(await listApiKeys(deps, principalOf(request), filter), q.limit, keyWire);
    },
  );
  const revoke = adminSchema({
    summary: "Revoke an API key (the last live admin key is kept)",
    tags: TAGS,
    params: idParams,
    response: { 200: API_KEY },
  });
  app.delete<{ Params: { id: number } }>("/api-keys/:id", { schema: revoke }, async (request) =>
    keyWire(await revokeApiKey(deps, principalOf(request), request.params.id)),
  );
}

export async function apiKeyRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  create(app, deps);
  listAndRevoke(app, deps);
}
