/**
 * One affiliate's set-up page (admin): GET /setup/affiliates/{id}, its edit (updateAffiliate) and
 * a new tracking link for it (createLink). A refused form is shown again, status 400, with its
 * values and the error next to its field.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { getAffiliate, updateAffiliate } from "../app/admin/affiliates.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { createLink, listLinks } from "../app/admin/links.ts";
import { listPrograms } from "../app/admin/programs.ts";
import { listEndpoints } from "../app/delivery/endpoints.ts";
import type { PostwireError } from "../domain/errors.ts";
import { STATUSES, type Status } from "../domain/model.ts";
import { type ConsoleKit, type Form, formOf, viewerWithRole } from "./console-kit.ts";
import { formErrorOf, idField, oneOf, optionalEmail, pathId, required } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { type AffiliateData, type AffiliateState, affiliatePage } from "./pages/affiliate.ts";

export const AFFILIATE_PAGE_PATHS: readonly string[] = [
  "/setup/affiliates/:id",
  "/setup/affiliates/:id/links",
];

/** Rows listed of each kind. */
const LISTED = 500;

const NOTICES: Readonly<Record<string, string>> = {
  saved: "Affiliate saved.",
  link: "Tracking link created.",
};

export async function affiliatePages(
  app: FastifyInstance,
  deps: AdminDeps & { readonly outbound?: object | undefined },
  kit: ConsoleKit,
): Promise<void> {
  async function data(viewer: Viewer, id: number): Promise<AffiliateData> {
    const p = viewer.principal;
    const affiliate = await getAffiliate(deps, p, id);
    return {
      affiliate,
      links: await listLinks(deps, p, { affiliateId: id, limit: LISTED }),
      programs: await listPrograms(deps, p, { limit: LISTED }),
      endpoints: deps.outbound ? await listEndpoints(deps, p, { affiliateId: id, limit: LISTED }) : undefined,
    };
  }

  const adminViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin"]);

  type Request = FastifyRequest<{ Params: { id: string }; Querystring: { done?: string } }>;

  app.get("/setup/affiliates/:id", async (request: Request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Affiliate");
    const notice = NOTICES[request.query.done ?? ""];
    const state: AffiliateState = notice ? { notice } : {};
    return kit.sendPage(reply, affiliatePage(await data(viewer, id), viewer, deps.publicUrl, state));
  });

  /** Runs a form's action, then back to the page; a fixable refusal shows it again, status 400. */
  function formRoute(
    path: string,
    form: string,
    run: (viewer: Viewer, id: number, values: Form) => Promise<string>,
  ) {
    app.post(path, async (request: Request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      const id = pathId(request.params.id, "Affiliate");
      const values = formOf(request);
      try {
        const done = await run(viewer, id, values);
        return reply.redirect(`/setup/affiliates/${id}?done=${done}`, 303);
      } catch (error) {
        const refused = formErrorOf(form, error);
        if (!refused || (refused.field === undefined && (error as PostwireError).code === "not_found"))
          throw error;
        const page = affiliatePage(await data(viewer, id), viewer, deps.publicUrl, {
          error: refused,
          values,
        });
        return kit.sendPage(reply, page, 400);
      }
    });
  }

  formRoute("/setup/affiliates/:id", "affiliate", async (viewer, id, form) => {
    const status = oneOf<Status>(STATUSES, form["status"], "status");
    await updateAffiliate(deps, viewer.principal, id, {
      name: required(form, "name"),
      email: optionalEmail(form, "email"),
      status,
    });
    return "saved";
  });

  formRoute("/setup/affiliates/:id/links", "link", async (viewer, id, form) => {
    await createLink(deps, viewer.principal, { affiliateId: id, programId: idField(form, "program_id") });
    return "link";
  });
}
