/** API-key authentication for the admin API: `Authorization: Bearer pw_…` → request.principal. */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticateApiKey } from "../../app/access/api-keys.ts";
import type { Store } from "../../app/ports.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { Principal, Role } from "../../domain/model.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function requireApiKey(app: FastifyInstance, store: Store): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const header = request.headers.authorization;
    const key = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    const principal = key ? await authenticateApiKey(store, key) : undefined;
    if (!principal) throw new PostwireError("unauthorized");
    request.principal = principal;
  });
}

/** The caller, who must hold one of `roles`. */
export function principalOf(request: FastifyRequest, ...roles: Role[]): Principal {
  const principal = request.principal;
  if (!principal) throw new PostwireError("unauthorized");
  if (roles.length && !roles.includes(principal.role)) throw new PostwireError("forbidden");
  return principal;
}
