/** /v1/operators/{id}/secrets and /static-token: credentials shown once, then only fingerprints. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  issueStaticToken,
  removeStaticToken,
  retireSecret,
  rotateSecret,
} from "../../../../app/admin/operator-settings.ts";
import { secretFingerprint } from "../../../../app/admin/operators.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { OPERATOR, operatorJson } from "./operator-json.ts";
import { adminSchema, ID, idParams, Strict } from "./schemas.ts";

const TAGS = ["operator credentials"];

const fingerprintParams = Strict({ id: ID, fingerprint: Type.String({ pattern: "^[0-9a-f]{16}$" }) });

function secrets(app: FastifyInstance, deps: AdminDeps): void {
  const issue = adminSchema({
    summary: "Issue a new HMAC secret (keeps it and the newest previous one live)",
    description: "The secret is shown only in this answer. A third secret retires the oldest.",
    tags: TAGS,
    params: idParams,
    response: {
      201: Type.Object({ secret: Type.String(), fingerprint: Type.String(), operator: OPERATOR }),
    },
  });
  typed(app).post("/operators/:id/secrets", { schema: issue }, async (request, reply) => {
    const { operator, secret } = await rotateSecret(deps, principalOf(request), request.params.id);
    const fingerprint = secretFingerprint(secret);
    return reply.status(201).send({ secret, fingerprint, operator: operatorJson(operator, deps.publicUrl) });
  });
  const retire = adminSchema({
    summary: "Retire a live HMAC secret",
    description: "Refused (400) when nothing would authenticate the operator any more.",
    tags: TAGS,
    params: fingerprintParams,
    response: { 200: OPERATOR },
  });
  typed(app).delete("/operators/:id/secrets/:fingerprint", { schema: retire }, async (request) => {
    const { id, fingerprint } = request.params;
    return operatorJson(await retireSecret(deps, principalOf(request), id, fingerprint), deps.publicUrl);
  });
}

function staticToken(app: FastifyInstance, deps: AdminDeps): void {
  const issue = adminSchema({
    summary: "Issue a static token (replaces any); only with an IP allowlist",
    description: "For back offices that cannot sign. The token is shown only in this answer.",
    tags: TAGS,
    params: idParams,
    response: { 201: Type.Object({ token: Type.String(), operator: OPERATOR }) },
  });
  typed(app).put("/operators/:id/static-token", { schema: issue }, async (request, reply) => {
    const { operator, token } = await issueStaticToken(deps, principalOf(request), request.params.id);
    return reply.status(201).send({ token, operator: operatorJson(operator, deps.publicUrl) });
  });
  const remove = adminSchema({
    summary: "Remove the static token",
    tags: TAGS,
    params: idParams,
    response: { 200: OPERATOR },
  });
  typed(app).delete("/operators/:id/static-token", { schema: remove }, async (request) =>
    operatorJson(await removeStaticToken(deps, principalOf(request), request.params.id), deps.publicUrl),
  );
}

export async function operatorAuthRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  secrets(app, deps);
  staticToken(app, deps);
}
