/**
 * The set-up pages' routes (admin): GET /setup with its four forms, a POST per form, and the
 * recalculation of a program's commissions. A refused form is shown again with its values and the
 * error next to its field; a created operator's secret is shown on that answer only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createAffiliate, listAffiliates } from "../app/admin/affiliates.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { createLink, listLinks } from "../app/admin/links.ts";
import { createOperator, listOperators } from "../app/admin/operators.ts";
import { createProgram, getProgram, listPrograms } from "../app/admin/programs.ts";
import { planCacheFor } from "../app/commissions/plan-cache.ts";
import { recalculateCommissions } from "../app/commissions/recalculate-commissions.ts";
import { VERTICALS, type Vertical } from "../domain/event-types.ts";
import { type ConsoleKit, type Form, formOf, viewerWithRole } from "./console-kit.ts";
import { formErrorOf, idField, oneOf, optionalEmail, pathId, required, timeField } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import {
  createdNotice,
  type FormError,
  operatorCreated,
  recalculationPage,
  type SetupData,
  setupPage,
} from "./pages/setup.ts";

export const SETUP_PAGE_PATHS: readonly string[] = [
  "/setup",
  "/setup/operators",
  "/setup/programs",
  "/setup/affiliates",
  "/setup/links",
  "/setup/programs/:id/recalculate",
];

/** Rows the set-up page lists of each kind. */
const LISTED = 500;

export async function setupPages(
  app: FastifyInstance,
  deps: AdminDeps & { readonly clickSecrets?: readonly Uint8Array[] | undefined },
  helpers: ConsoleKit,
): Promise<void> {
  async function data(viewer: Viewer): Promise<SetupData> {
    const p = viewer.principal;
    return {
      operators: await listOperators(deps, p, { limit: LISTED }),
      programs: await listPrograms(deps, p, { limit: LISTED }),
      affiliates: await listAffiliates(deps, p, { limit: LISTED }),
      links: await listLinks(deps, p, { limit: LISTED }),
    };
  }

  const adminViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(helpers, request, reply, ["admin"]);

  app.get<{ Querystring: { created?: string } }>("/setup", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const created = {
      program: "Program created.",
      affiliate: "Affiliate created.",
      link: "Tracking link created.",
    }[request.query.created ?? ""];
    return helpers.sendPage(
      reply,
      setupPage(
        await data(viewer),
        viewer,
        deps.publicUrl,
        created ? { created: createdNotice(created) } : {},
      ),
    );
  });

  /** Runs a form's action; a fixable refusal shows the page again with the error, status 400. */
  function formRoute(
    path: string,
    form: FormError["form"],
    run: (viewer: Viewer, values: Form) => Promise<string | undefined>,
  ) {
    app.post(path, async (request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      const values = formOf(request);
      try {
        const page = await run(viewer, values);
        return page === undefined
          ? reply.redirect(`/setup?created=${form}`, 303)
          : helpers.sendPage(reply, page);
      } catch (error) {
        const refused = formErrorOf(form, error);
        if (!refused) throw error;
        return helpers.sendPage(
          reply,
          setupPage(await data(viewer), viewer, deps.publicUrl, { error: refused, values }),
          400,
        );
      }
    });
  }

  formRoute("/setup/operators", "operator", async (viewer, form) => {
    const { operator, secret } = await createOperator(deps, viewer.principal, {
      name: required(form, "name"),
    });
    return setupPage(await data(viewer), viewer, deps.publicUrl, {
      created: operatorCreated(operator, secret),
    });
  });

  formRoute("/setup/programs", "program", async (viewer, form) => {
    const vertical = oneOf<Vertical>(VERTICALS, form["vertical"], "vertical");
    const plan = form["commission_plan"] === "none" ? "none" : "preset";
    await createProgram(deps, viewer.principal, {
      operatorId: idField(form, "operator_id"),
      name: required(form, "name"),
      vertical,
      currency: required(form, "currency", 3),
      landingUrlTemplate: required(form, "landing_url_template", 2000),
      commissionPlan: plan,
    });
    return undefined;
  });

  formRoute("/setup/affiliates", "affiliate", async (viewer, form) => {
    await createAffiliate(deps, viewer.principal, {
      name: required(form, "name"),
      email: optionalEmail(form, "email"),
    });
    return undefined;
  });

  formRoute("/setup/links", "link", async (viewer, form) => {
    await createLink(deps, viewer.principal, {
      affiliateId: idField(form, "affiliate_id"),
      programId: idField(form, "program_id"),
    });
    return undefined;
  });

  // Recalculations decide commissions as ingest does, click times included: with the click secrets.
  const clickSecrets = deps.clickSecrets;
  if (!clickSecrets) return;

  app.get<{ Params: { id: string } }>("/setup/programs/:id/recalculate", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const program = await getProgram(deps, viewer.principal, pathId(request.params.id, "Program"));
    return helpers.sendPage(reply, recalculationPage(program, viewer));
  });

  app.post<{ Params: { id: string } }>("/setup/programs/:id/recalculate", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const program = await getProgram(deps, viewer.principal, pathId(request.params.id, "Program"));
    const values = formOf(request);
    try {
      const result = await recalculateCommissions(
        {
          store: deps.store,
          clock: deps.clock,
          ids: deps.ids,
          commissions: {
            plans: planCacheFor(deps.catalog, deps.clock),
            clock: deps.clock,
            ids: deps.ids,
            clickSecrets,
          },
        },
        viewer.principal,
        {
          programId: program.id,
          from: timeField(values, "from"),
          to: timeField(values, "to"),
          includePaidPeriods: values["include_paid_periods"] === "1",
          mode: values["mode"] === "replan" ? "replan" : "unearned",
          preview: values["action"] !== "apply",
        },
      );
      return helpers.sendPage(reply, recalculationPage(program, viewer, { values, result }));
    } catch (error) {
      const refused = formErrorOf("recalculation", error);
      if (!refused) throw error;
      return helpers.sendPage(reply, recalculationPage(program, viewer, { values, error: refused }), 400);
    }
  });
}
