/** /v1/programs: an operator's affiliate programs. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { createProgram, getProgram, listPrograms, updateProgram } from "../../../../app/admin/programs.ts";
import { LANDING_MACROS } from "../../../../app/record-click.ts";
import { VERTICAL_DEFAULT_EVENTS, VERTICALS, type Vertical } from "../../../../domain/event-types.ts";
import { type Program, STATUSES, type Status } from "../../../../domain/model.ts";
import { type PageQuery, resourceRoutes } from "./resource-routes.ts";
import { ID, iso, NAME, nullable, object, record, TIME } from "./schemas.ts";

const TAGS = ["programs"];
const STATUS = { type: "string", enum: [...STATUSES] };
const URL_TEXT = { type: "string", minLength: 1, maxLength: 2000 };
const LANDING = {
  ...URL_TEXT,
  description: `Absolute http(s) URL; macros: ${LANDING_MACROS.map((m) => `{${m}}`).join(" ")}.`,
};
const EVENTS = {
  type: "array",
  items: { type: "string", maxLength: 40 },
  maxItems: 64,
  description: `Standard or custom (lower snake case) event names. Default per vertical: ${JSON.stringify(VERTICAL_DEFAULT_EVENTS)}.`,
};
const LOOKBACK = { type: "integer", minimum: 1, maximum: 3650 };

export const PROGRAM = record({
  id: ID,
  operator_id: ID,
  name: { type: "string" },
  vertical: { type: "string", enum: [...VERTICALS] },
  currency: { type: "string" },
  landing_url_template: { type: "string" },
  fallback_url: nullable({ type: "string" }),
  allowed_events: { type: "array", items: { type: "string" } },
  lookback_days: { type: "integer" },
  status: STATUS,
  created_at: TIME,
  updated_at: TIME,
});

const programJson = (p: Program) => ({
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
  created_at: iso(p.createdAt),
  updated_at: iso(p.updatedAt),
});

interface ProgramBody {
  operator_id: number;
  name: string;
  vertical: Vertical;
  currency: string;
  landing_url_template: string;
  fallback_url?: string | null;
  allowed_events?: string[];
  lookback_days?: number;
  status?: Status;
}

const CREATE_BODY = object(
  {
    operator_id: ID,
    name: NAME,
    vertical: { type: "string", enum: [...VERTICALS] },
    currency: { type: "string", pattern: "^[A-Za-z]{3}$", description: "ISO 4217 code." },
    landing_url_template: LANDING,
    fallback_url: nullable({ ...URL_TEXT, description: "Where a click on a paused link goes." }),
    allowed_events: EVENTS,
    lookback_days: { ...LOOKBACK, default: 30 },
    status: STATUS,
  },
  ["operator_id", "name", "vertical", "currency", "landing_url_template"],
);

const UPDATE_BODY = {
  ...object({
    name: NAME,
    landing_url_template: LANDING,
    fallback_url: nullable(URL_TEXT),
    allowed_events: EVENTS,
    lookback_days: LOOKBACK,
    status: STATUS,
  }),
  minProperties: 1,
  description: "operator_id, vertical and currency are fixed once created.",
};

export async function programRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const programs = resourceRoutes(app, { path: "/programs", tags: TAGS, item: PROGRAM, wire: programJson });
  programs.create({
    summary: "Create a program",
    body: CREATE_BODY,
    run: (principal, b: ProgramBody) =>
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
      }),
  });
  programs.list({
    summary: "List programs (an operator key sees its own)",
    filters: { operator_id: ID },
    load: (principal, page, q: PageQuery & { operator_id?: number }) =>
      listPrograms(deps, principal, { ...page, operatorId: q.operator_id }),
  });
  programs.get({ summary: "Get a program", load: (principal, id) => getProgram(deps, principal, id) });
  programs.update({
    summary: "Change a program",
    body: UPDATE_BODY,
    run: (principal, id, b: Partial<ProgramBody>) =>
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
