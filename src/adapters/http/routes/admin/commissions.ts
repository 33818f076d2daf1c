/**
 * /v1/programs/:id/plans, /v1/commission-presets, /v1/fx-rates, /v1/affiliates/:id/parent and
 * /v1/commissions/approve-due; the ledger's routes are in commissions-ledger.ts, manual
 * adjustments in commissions-adjust.ts.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  createPlanVersion,
  createRate,
  listPlanVersions,
  listRates,
  presetOf,
  setParent,
} from "../../../../app/commissions/admin-commissions.ts";
import { approveDueEntries } from "../../../../app/commissions/approve-due.ts";
import { VERTICALS } from "../../../../domain/event-types.ts";
import { principalOf } from "../../api-auth.ts";
import { wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import { adjustmentRoutes } from "./commissions-adjust.ts";
import { PLAN, planJson, RATE, rateJson, TERMS } from "./commissions-json.ts";
import { ledgerRoutes } from "./commissions-ledger.ts";
import { adminSchema, ID, idParams, listOf, msOf, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["commissions"];
const OPTIONAL_TIME = Type.Optional(TIME);

function plans(app: FastifyInstance, deps: AdminDeps): void {
  const create = adminSchema({
    summary: "Add a plan version (or an affiliate's deal) to a program, in force from its date",
    tags: TAGS,
    params: idParams,
    body: Strict({
      affiliate_id: Type.Optional(Nullable(ID)),
      effective_from: OPTIONAL_TIME,
      terms: TERMS,
      note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    }),
    response: { 201: PLAN },
  });
  typed(app).post("/programs/:id/plans", { schema: create }, async (request, reply) => {
    const { effective_from, ...rest } = request.body;
    const from = msOf(effective_from);
    const plan = await createPlanVersion(deps, principalOf(request), request.params.id, {
      ...rest,
      ...(from === undefined ? {} : { effective_from: from }),
    });
    return reply.status(201).send(planJson(plan));
  });
  const all = adminSchema({
    summary: "Every plan and deal version of a program (history kept)",
    tags: TAGS,
    params: idParams,
    response: { 200: listOf(PLAN) },
  });
  typed(app).get("/programs/:id/plans", { schema: all }, async (request) =>
    wholeList(await listPlanVersions(deps, principalOf(request), request.params.id), planJson),
  );
  const preset = adminSchema({
    summary: "The default plan offered for a new program of a vertical",
    tags: TAGS,
    params: Strict({ vertical: OneOf(VERTICALS) }),
    response: {
      200: Type.Object({ vertical: Type.String(), terms: Type.Object({}, { additionalProperties: true }) }),
    },
  });
  typed(app).get("/commission-presets/:vertical", { schema: preset }, async (request) => ({
    vertical: request.params.vertical,
    terms: presetOf(request.params.vertical),
  }));
}

function rates(app: FastifyInstance, deps: AdminDeps): void {
  const create = adminSchema({
    summary: "Add an FX rate (quote units per 1 base unit), in force from its date",
    tags: TAGS,
    body: Strict({
      base: Type.String(),
      quote: Type.String(),
      rate: Type.String({ maxLength: 40 }),
      effective_from: OPTIONAL_TIME,
    }),
    response: { 201: RATE },
  });
  typed(app).post("/fx-rates", { schema: create }, async (request, reply) => {
    const { effective_from, ...body } = request.body;
    const from = msOf(effective_from);
    const rate = await createRate(deps, principalOf(request), {
      ...body,
      ...(from === undefined ? {} : { effective_from: from }),
    });
    return reply.status(201).send(rateJson(rate));
  });
  const all = adminSchema({ summary: "Every FX rate version", tags: TAGS, response: { 200: listOf(RATE) } });
  app.get("/fx-rates", { schema: all }, async () => wholeList(await listRates(deps), rateJson));
  const parent = adminSchema({
    summary: "Set (or clear) an affiliate's parent for sub-affiliate overrides",
    tags: TAGS,
    params: idParams,
    body: Strict({ parent_id: Nullable(ID) }),
    response: { 200: Type.Object({ affiliate_id: ID, parent_id: Nullable(ID) }) },
  });
  typed(app).put("/affiliates/:id/parent", { schema: parent }, async (request) => {
    await setParent(deps, principalOf(request), request.params.id, request.body.parent_id);
    return { affiliate_id: request.params.id, parent_id: request.body.parent_id };
  });
}

function jobs(app: FastifyInstance, deps: AdminDeps): void {
  const approve = adminSchema({
    summary: "Run the hold-period job now",
    tags: TAGS,
    response: { 200: Type.Object({ approved: Type.Integer(), reversed: Type.Integer() }) },
  });
  app.post("/commissions/approve-due", { schema: approve }, async (request) => {
    principalOf(request, "admin");
    return approveDueEntries(deps.store, deps.clock);
  });
}

export async function commissionRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  plans(app, deps);
  rates(app, deps);
  ledgerRoutes(app, deps);
  jobs(app, deps);
  adjustmentRoutes(app, deps);
}
