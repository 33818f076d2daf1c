/**
 * API keys in the console (admin): GET /setup/api-keys, POST /setup/api-keys (create: the key is
 * in that answer only) and POST /setup/api-keys/{id}/revoke (console-sessions.ts signs the key's
 * sessions out on their next request). The API's use cases: issueApiKey, listApiKeys, revokeApiKey.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listAffiliates } from "../app/admin/affiliates.ts";
import { issueApiKey, listApiKeys, revokeApiKey } from "../app/admin/api-keys.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { listOperators } from "../app/admin/operators.ts";
import { PostwireError } from "../domain/errors.ts";
import { ROLES, type Role } from "../domain/model.ts";
import { type ConsoleKit, formOf, viewerWithRole } from "./console-kit.ts";
import { formErrorOf, idField, oneOf, pathId, recordId, required } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { type ApiKeysData, type ApiKeysState, apiKeysPage } from "./pages/api-keys.ts";

export const API_KEY_PAGE_PATHS: readonly string[] = ["/setup/api-keys", "/setup/api-keys/:id/revoke"];

const LISTED = 1000;

export async function apiKeyPages(app: FastifyInstance, deps: AdminDeps, kit: ConsoleKit): Promise<void> {
  const adminViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin"]);

  async function data(viewer: Viewer): Promise<ApiKeysData> {
    const p = viewer.principal;
    return {
      keys: await listApiKeys(deps, p, { limit: LISTED }),
      operators: await listOperators(deps, p, { limit: LISTED }),
      affiliates: await listAffiliates(deps, p, { limit: LISTED }),
    };
  }

  const show = async (reply: FastifyReply, viewer: Viewer, state: ApiKeysState, status = 200) =>
    kit.sendPage(reply, apiKeysPage(await data(viewer), viewer, state), status);

  app.get<{ Querystring: { revoked?: string } }>("/setup/api-keys", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const revoked = request.query.revoked;
    return show(reply, viewer, recordId(revoked) !== undefined ? { notice: `Key ${revoked} revoked.` } : {});
  });

  app.post("/setup/api-keys", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const form = formOf(request);
    try {
      const role = oneOf<Role>(ROLES, form["role"], "role");
      const { apiKey, secret } = await issueApiKey(deps, viewer.principal, {
        name: required(form, "name"),
        role,
        operatorId: form["operator_id"] ? idField(form, "operator_id") : null,
        affiliateId: form["affiliate_id"] ? idField(form, "affiliate_id") : null,
      });
      return show(reply, viewer, { created: { key: apiKey, secret } });
    } catch (error) {
      const refused = formErrorOf("key", error);
      if (!refused) throw error;
      return show(reply, viewer, { values: form, error: refused }, 400);
    }
  });

  app.post<{ Params: { id: string } }>("/setup/api-keys/:id/revoke", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "API key");
    try {
      await revokeApiKey(deps, viewer.principal, id);
    } catch (error) {
      // The last live admin key is kept (409): said on the page, next to the list.
      if (!(error instanceof PostwireError && error.code === "conflict")) throw error;
      return show(
        reply,
        viewer,
        { error: { form: "revoke", field: undefined, message: error.message } },
        409,
      );
    }
    return reply.redirect(`/setup/api-keys?revoked=${id}`, 303);
  });
}
