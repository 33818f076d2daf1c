/**
 * Programs and their commission plans in the console (admin): a program's page (settings, plan
 * and deal versions in words), the plan editor (preview, then save a new version), FX rates and an
 * affiliate's parent for sub-affiliate overrides. Every action is the API's use case; a refusal is
 * shown next to the input it concerns with the use case's message.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { getAffiliate, listAffiliates } from "../app/admin/affiliates.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { updateProgram, viewProgram } from "../app/admin/programs.ts";
import {
  checkPlanVersion,
  createPlanVersion,
  createRate,
  listPlanVersions,
  listRates,
  parentOfAffiliate,
  presetOf,
  setParent,
} from "../app/commissions/admin-commissions.ts";
import { dealAt, programPlanAt } from "../app/commissions/plan-cache.ts";
import { PostwireError } from "../domain/errors.ts";
import { STATUSES, type Status } from "../domain/model.ts";
import { type ConsoleKit, formOf, viewerWithRole } from "./console-kit.ts";
import {
  commaList,
  formErrorOf,
  oneOf,
  optionalText,
  pathId,
  recordId,
  required,
  timeField,
} from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { affiliateParentPage } from "./pages/affiliate-parent.ts";
import { fxRatesPage } from "./pages/fx-rates.ts";
import { type PlanEditorData, planEditorPage } from "./pages/plan-editor.ts";
import { programPage } from "./pages/program-plans.ts";
import { asDealStart, inputOfPath, termsOf, valuesOfTerms } from "./plan-form.ts";

export const PROGRAM_PAGE_PATHS: readonly string[] = [
  "/setup/programs/:id",
  "/setup/programs/:id/plans",
  "/setup/programs/:id/plans/new",
  "/setup/fx-rates",
  "/setup/affiliates/:id/parent",
];

const LISTED = 500;
/** An ISO date and time to the second, as the forms show them. */
const isoSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export async function programPages(app: FastifyInstance, deps: AdminDeps, kit: ConsoleKit): Promise<void> {
  const adminViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin"]);

  async function programData(viewer: Viewer, id: number) {
    const p = viewer.principal;
    return {
      program: await viewProgram(deps, p, id),
      versions: await listPlanVersions(deps, p, id),
      affiliates: await listAffiliates(deps, p, { limit: LISTED }),
      now: deps.clock.now(),
    };
  }

  type ById = { Params: { id: string } };
  app.get<ById & { Querystring: { saved?: string } }>("/setup/programs/:id", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const data = await programData(viewer, pathId(request.params.id, "Program"));
    return kit.sendPage(reply, programPage(data, viewer, { saved: request.query.saved }));
  });

  app.post<ById>("/setup/programs/:id", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Program");
    const values = formOf(request);
    try {
      const lookback = (values["lookback_days"] ?? "").trim();
      if (!/^\d{1,5}$/.test(lookback))
        throw new PostwireError(
          "invalid_field",
          "lookback_days must be a whole number of days.",
          "lookback_days",
        );
      await updateProgram(deps, viewer.principal, id, {
        name: required(values, "name"),
        status: oneOf<Status>(
          STATUSES,
          values["status"],
          "status",
          `status must be one of: ${STATUSES.join(", ")}.`,
        ),
        landingUrlTemplate: required(values, "landing_url_template", 2000),
        fallbackUrl: optionalText(values, "fallback_url", 2000),
        allowedEvents: commaList(values, "allowed_events"),
        lookbackDays: Number(lookback),
      });
      return reply.redirect(`/setup/programs/${id}?saved=settings`, 303);
    } catch (error) {
      const refused = formErrorOf("program", error);
      if (!refused) throw error;
      const data = await programData(viewer, id);
      return kit.sendPage(reply, programPage(data, viewer, { values, error: refused }), 400);
    }
  });

  /** The editor's subject: the program, the deal's affiliate, and where its values start from. */
  async function editorStart(viewer: Viewer, programId: number, affiliateText: string | undefined) {
    const p = viewer.principal;
    const program = await viewProgram(deps, p, programId);
    const affiliate = affiliateText
      ? await getAffiliate(deps, p, pathId(affiliateText, "Affiliate"))
      : undefined;
    const versions = await listPlanVersions(deps, p, programId);
    const now = deps.clock.now();
    const plan = programPlanAt(versions, now);
    const deal = affiliate ? dealAt(versions, affiliate.id, now) : undefined;
    const from = deal ?? plan;
    const terms = from?.terms ?? presetOf(program.vertical);
    const startedFrom = deal
      ? `this affiliate's deal in force (version ${deal.id})`
      : plan
        ? `the plan in force (version ${plan.id})`
        : `the ${program.vertical} preset (no plan is in force)`;
    const values = valuesOfTerms(terms, program.currency);
    const data: PlanEditorData = { program, affiliate, startedFrom };
    return { data, versions, values: affiliate && !deal ? asDealStart(values) : values, now };
  }

  app.get<ById & { Querystring: { affiliate_id?: string } }>(
    "/setup/programs/:id/plans/new",
    async (request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      const start = await editorStart(
        viewer,
        pathId(request.params.id, "Program"),
        request.query.affiliate_id,
      );
      const values = { ...start.values, effective_from: isoSecond(start.now), note: "" };
      return kit.sendPage(reply, planEditorPage(start.data, viewer, { values }));
    },
  );

  app.post<ById>("/setup/programs/:id/plans", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const values = formOf(request);
    const id = pathId(request.params.id, "Program");
    const start = await editorStart(viewer, id, values["affiliate_id"]);
    try {
      const body = {
        affiliate_id: start.data.affiliate?.id ?? null,
        effective_from: timeField(values, "effective_from"),
        terms: termsOf(values, start.data.program.currency),
        note: optionalText(values, "note", 500),
      };
      if (values["action"] === "save") {
        await createPlanVersion(deps, viewer.principal, id, body);
        return reply.redirect(`/setup/programs/${id}?saved=plan`, 303);
      }
      await checkPlanVersion(deps, viewer.principal, id, body);
      const plan = programPlanAt(start.versions, body.effective_from)?.terms;
      return kit.sendPage(
        reply,
        planEditorPage(start.data, viewer, { values, preview: { terms: body.terms, plan } }),
      );
    } catch (error) {
      const refused = formErrorOf("plan", error);
      if (!refused) throw error;
      const error_ = { ...refused, field: inputOfPath(refused.field) };
      return kit.sendPage(reply, planEditorPage(start.data, viewer, { values, error: error_ }), 400);
    }
  });

  app.get<{ Querystring: { saved?: string } }>("/setup/fx-rates", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    return kit.sendPage(
      reply,
      fxRatesPage(await listRates(deps), viewer, { saved: request.query.saved === "1" }),
    );
  });

  app.post("/setup/fx-rates", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const values = formOf(request);
    try {
      const from = (values["effective_from"] ?? "").trim();
      await createRate(deps, viewer.principal, {
        base: (values["base"] ?? "").trim().toUpperCase(),
        quote: (values["quote"] ?? "").trim().toUpperCase(),
        rate: required(values, "rate", 40),
        ...(from ? { effective_from: timeField(values, "effective_from") } : {}),
      });
      return reply.redirect("/setup/fx-rates?saved=1", 303);
    } catch (error) {
      const refused = formErrorOf("rate", error);
      if (!refused) throw error;
      return kit.sendPage(reply, fxRatesPage(await listRates(deps), viewer, { values, error: refused }), 400);
    }
  });

  async function parentPage(viewer: Viewer, id: number, state: Parameters<typeof affiliateParentPage>[4]) {
    const p = viewer.principal;
    const affiliate = await getAffiliate(deps, p, id);
    const parentId = await parentOfAffiliate(deps, p, id);
    return affiliateParentPage(
      affiliate,
      parentId,
      await listAffiliates(deps, p, { limit: LISTED }),
      viewer,
      state,
    );
  }

  app.get<ById & { Querystring: { saved?: string } }>(
    "/setup/affiliates/:id/parent",
    async (request, reply) => {
      const viewer = await adminViewer(request, reply);
      if (!viewer) return reply;
      return kit.sendPage(
        reply,
        await parentPage(viewer, pathId(request.params.id, "Affiliate"), {
          saved: request.query.saved === "1",
        }),
      );
    },
  );

  app.post<ById>("/setup/affiliates/:id/parent", async (request, reply) => {
    const viewer = await adminViewer(request, reply);
    if (!viewer) return reply;
    const id = pathId(request.params.id, "Affiliate");
    const chosen = (formOf(request)["parent_id"] ?? "").trim();
    try {
      const parentId = chosen === "" ? null : (recordId(chosen) ?? Number.NaN);
      if (Number.isNaN(parentId))
        throw new PostwireError("invalid_field", "Choose an affiliate or no parent.", "parent_id");
      await setParent(deps, viewer.principal, id, parentId);
      return reply.redirect(`/setup/affiliates/${id}/parent?saved=1`, 303);
    } catch (error) {
      const refused = formErrorOf("parent", error);
      if (!refused) throw error;
      return kit.sendPage(reply, await parentPage(viewer, id, { error: refused, chosen }), 400);
    }
  });
}
