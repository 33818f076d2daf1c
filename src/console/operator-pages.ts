/**
 * An operator's pages: its set-up page (`/setup/operators/{id}`, admin) with a POST per form, each
 * running the API's use case (updateOperator, replaceMapping, rotateSecret, retireSecret,
 * issueStaticToken, removeStaticToken); and its Integration page (`/operators/{id}/integration`,
 * admin and that operator's key, which may change its own mapping there: `/operators/{id}/mapping`).
 * Another operator's id answers 404, as the API does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AdminDeps } from "../app/admin/deps.ts";
import {
  issueStaticToken,
  removeStaticToken,
  replaceMapping,
  retireSecret,
  rotateSecret,
} from "../app/admin/operator-settings.ts";
import { getOperator, updateOperator } from "../app/admin/operators.ts";
import type { Operator } from "../domain/model.ts";
import { type ConsoleKit, type Form, formOf, viewerWithRole } from "./console-kit.ts";
import type { FormError } from "./form-fields.ts";
import { formErrorOf, pathId } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { mappingError, mappingInput, settingsError, settingsInput } from "./operator-forms.ts";
import { operatorEditPage, type Shown } from "./pages/operator-edit.ts";
import { integrationPage, integrationQuery } from "./pages/operator-integration.ts";

export const OPERATOR_PAGE_PATHS: readonly string[] = [
  "/setup/operators/:id",
  "/setup/operators/:id/mapping",
  "/setup/operators/:id/secrets",
  "/setup/operators/:id/secrets/retire",
  "/setup/operators/:id/token",
  "/setup/operators/:id/token/remove",
  "/operators/:id/integration",
  "/operators/:id/mapping",
];

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The notices of a redirect after an action (`?done=`). */
const DONE: Readonly<Record<string, string>> = {
  settings: "Settings saved.",
  mapping: "Mapping saved.",
  retired: "Secret retired: requests signed with it are now refused.",
  "token-removed": "Static token removed.",
};

const idOf = (request: IdRequest): number => pathId(request.params.id);

export async function operatorPages(app: FastifyInstance, deps: AdminDeps, kit: ConsoleKit): Promise<void> {
  const adminViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin"]);

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>(
    "/setup/operators/:id",
    async (request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      const operator = await getOperator(deps, viewer.principal, idOf(request));
      const notice = DONE[request.query.done ?? ""];
      const shown: Shown | undefined = notice ? { kind: "notice", text: notice } : undefined;
      return kit.sendPage(reply, operatorEditPage(operator, viewer, shown ? { shown } : {}));
    },
  );

  /**
   * A form of the page: `run` makes the change and returns what to show once (or undefined: back to
   * the page with `done`). A fixable refusal shows the page again, status 400, the error next to
   * its field (`place` points the API's field at the form's input).
   */
  function action(
    path: string,
    form: string,
    done: string,
    run: (viewer: Viewer, id: number, values: Form) => Promise<Shown | undefined>,
    place: (error: FormError, values: Form) => FormError = (e) => e,
  ) {
    app.post<{ Params: { id: string } }>(path, async (request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      const id = idOf(request);
      const values = formOf(request);
      let shown: Shown | undefined;
      try {
        shown = await run(viewer, id, values);
      } catch (error) {
        const refused = formErrorOf(form, error);
        if (!refused) throw error;
        const operator = await getOperator(deps, viewer.principal, id);
        const state = { error: place(refused, values), values };
        return kit.sendPage(reply, operatorEditPage(operator, viewer, state), 400);
      }
      if (!shown) return reply.redirect(`/setup/operators/${id}?done=${done}`, 303);
      const operator = await getOperator(deps, viewer.principal, id);
      return kit.sendPage(reply, operatorEditPage(operator, viewer, { shown }));
    });
  }

  action(
    "/setup/operators/:id",
    "settings",
    "settings",
    async (viewer, id, values) => {
      await updateOperator(deps, viewer.principal, id, settingsInput(values));
      return undefined;
    },
    settingsError,
  );

  action(
    "/setup/operators/:id/mapping",
    "mapping",
    "mapping",
    async (viewer, id, values) => {
      await replaceMapping(deps, viewer.principal, id, mappingInput(values));
      return undefined;
    },
    (error, values) => mappingError(error, values),
  );

  action("/setup/operators/:id/secrets", "secrets", "", async (viewer, id) => {
    const { secret } = await rotateSecret(deps, viewer.principal, id);
    return { kind: "secret", value: secret };
  });

  action("/setup/operators/:id/secrets/retire", "secrets", "retired", async (viewer, id, values) => {
    await retireSecret(deps, viewer.principal, id, (values["fingerprint"] ?? "").slice(0, 64));
    return undefined;
  });

  action("/setup/operators/:id/token", "token", "", async (viewer, id) => {
    const { token } = await issueStaticToken(deps, viewer.principal, id);
    return { kind: "token", value: token };
  });

  action("/setup/operators/:id/token/remove", "token", "token-removed", async (viewer, id) => {
    await removeStaticToken(deps, viewer.principal, id);
    return undefined;
  });

  const ownViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin", "operator"]);

  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>(
    "/operators/:id/integration",
    async (request, reply) => {
      const viewer = await ownViewer(request, reply);
      if (!viewer) return reply;
      const operator: Operator = await getOperator(deps, viewer.principal, idOf(request));
      const query = integrationQuery(request.query);
      const notice = request.query["done"] === "mapping" ? DONE["mapping"] : undefined;
      return kit.sendPage(
        reply,
        await integrationPage(deps, viewer, operator, query, notice ? { notice } : {}),
      );
    },
  );

  // The operator's own key may change its mapping (replaceMapping allows it) from this page.
  app.post<{ Params: { id: string } }>("/operators/:id/mapping", async (request, reply) => {
    const viewer = await ownViewer(request, reply);
    if (!viewer) return reply;
    const id = idOf(request);
    const values = formOf(request);
    try {
      await replaceMapping(deps, viewer.principal, id, mappingInput(values));
    } catch (error) {
      const refused = formErrorOf("mapping", error);
      if (!refused) throw error;
      const operator = await getOperator(deps, viewer.principal, id);
      const state = { error: mappingError(refused, values), values };
      const body = await integrationPage(deps, viewer, operator, integrationQuery({}), state);
      return kit.sendPage(reply, body, 400);
    }
    return reply.redirect(`/operators/${id}/integration?done=mapping`, 303);
  });
}
