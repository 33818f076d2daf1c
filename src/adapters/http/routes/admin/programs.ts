/** /v1/programs: an operator's affiliate programs. */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  createProgram,
  listPrograms,
  type ProgramView,
  updateProgram,
  viewProgram,
} from "../../../../app/admin/programs.ts";
import { LANDING_MACROS } from "../../../../app/clicks/record-click.ts";
import { VERTICAL_DEFAULT_EVENTS, VERTICALS } from "../../../../domain/event-types.ts";
import { STATUSES } from "../../../../domain/model.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { ID, iso, NAME, Nullable, OneOf, Strict, TIME } from "./schemas.ts";

const TAGS = ["programs"];
const STATUS = OneOf(STATUSES);
const URL_TEXT = { minLength: 1, maxLength: 2000 } as const;
const LANDING = Type.String({
  ...URL_TEXT,
  description: `Absolute http(s) URL; macros: ${LANDING_MACROS.map((m) => `{${m}}`).join(" ")}.`,
});
const EVENTS = Type.Array(Type.String({ maxLength: 40 }), {
  maxItems: 64,
  description: `Standard or custom (lower snake case) event names. Default per vertical: ${JSON.stringify(VERTICAL_DEFAULT_EVENTS)}.`,
});
const LOOKBACK = { minimum: 1, maximum: 3650 } as const;

export const PROGRAM = Type.Object({
  id: ID,
  operator_id: ID,
  name: Type.String(),
  vertical: OneOf(VERTICALS),
  currency: Type.String(),
  landing_url_template: Type.String(),
  fallback_url: Nullable(Type.String()),
  allowed_events: Type.Array(Type.String()),
  lookback_days: Type.Integer(),
  status: STATUS,
  commission_plan_id: Nullable(ID, {
    description: "The program's plan version in force now (GET /v1/programs/{id}/plans); null: none.",
  }),
  warnings: Type.Array(Type.Object({ code: Type.Literal("no_commission_plan"), message: Type.String() }), {
    description: "What a manager should act on; `no_commission_plan`: its conversions earn nothing.",
  }),
  created_at: TIME,
  updated_at: TIME,
});

const programJson = (p: ProgramView) => ({
  id: p.id,
  operator_id: p.operatorId,
  name: p.name,
  vertical: p.vertical,
  currency: p.currency,
  landing_url_template: p.landingUrlTemplate,
  fallback_url: p.fallbackUrl,
  allowed_events: p.allowedEvents,
  lookback_days: p.lookbackDays,
  status: p.status,
  commission_plan_id: p.commissionPlanId,
  warnings: p.warnings,
  created_at: iso(p.createdAt),
  updated_at: iso(p.updatedAt),
});

const CREATE_BODY = Strict({
  operator_id: ID,
  name: NAME,
  vertical: OneOf(VERTICALS),
  currency: Type.String({ pattern: "^[A-Za-z]{3}$", description: "ISO 4217 code." }),
  landing_url_template: LANDING,
  fallback_url: Type.Optional(
    Nullable(Type.String(URL_TEXT), { description: "Where a click on a paused link goes." }),
  ),
  allowed_events: Type.Optional(EVENTS),
  lookback_days: Type.Optional(Type.Integer({ ...LOOKBACK, default: 30 })),
  status: Type.Optional(STATUS),
  commission_plan: Type.Optional(
    OneOf(["preset", "none"] as const, {
      default: "preset",
      description:
        "`preset`: the vertical's preset plan (GET /v1/commission-presets/{vertical}), in force from the start (effective_from 1970-01-01) until a version added later takes over; `none`: no plan (the program earns nothing until one is added).",
    }),
  ),
});

const UPDATE_BODY = Strict(
  {
    name: Type.Optional(NAME),
    landing_url_template: Type.Optional(LANDING),
    fallback_url: Type.Optional(Nullable(Type.String(URL_TEXT))),
    allowed_events: Type.Optional(EVENTS),
    lookback_days: Type.Optional(Type.Integer(LOOKBACK)),
    status: Type.Optional(STATUS),
  },
  { minProperties: 1, description: "operator_id, vertical and currency are fixed once created." },
);

export async function programRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const programs = resourceRoutes(app, { path: "/programs", tags: TAGS, item: PROGRAM, toJson: programJson });
  programs.create({
    summary: "Create a program",
    body: CREATE_BODY,
    run: (principal, b) =>
      createProgram(deps, principal, {
        operatorId: b.operator_id,
        name: b.name,
        vertical: b.vertical,
        currency: b.currency,
        landingUrlTemplate: b.landing_url_template,
        fallbackUrl: b.fallback_url,
        allowedEvents: b.allowed_events,
        lookbackDays: b.lookback_days,
        status: b.status,
        commissionPlan: b.commission_plan,
      }),
  });
  programs.list({
    summary: "List programs (an operator key sees its own)",
    filters: { operator_id: Type.Optional(ID) },
    load: (principal, page, q) => listPrograms(deps, principal, { ...page, operatorId: q.operator_id }),
  });
  programs.get({ summary: "Get a program", load: (principal, id) => viewProgram(deps, principal, id) });
  programs.update({
    summary: "Change a program",
    body: UPDATE_BODY,
    run: (principal, id, b) =>
      updateProgram(deps, principal, id, {
        name: b.name,
        landingUrlTemplate: b.landing_url_template,
        fallbackUrl: b.fallback_url,
        allowedEvents: b.allowed_events,
        lookbackDays: b.lookback_days,
        status: b.status,
      }),
  });
}
