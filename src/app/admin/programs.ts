/**
 * Programs: one operator's affiliate program, one vertical, one currency. Operator, vertical and
 * currency are fixed once created (commissions and reports depend on them): create a new program
 * instead.
 *
 * A new program starts with its vertical's preset commission plan (DESIGN §3) unless the request
 * asks for none: a program without a plan earns nothing, so every program read says which plan is
 * in force now and warns when none is.
 */
import { PLAN_PRESETS } from "../../domain/commissions/presets.ts";
import { PostwireError } from "../../domain/errors.ts";
import { VERTICAL_DEFAULT_EVENTS, type Vertical } from "../../domain/event-types.ts";
import type { Principal, Program, Status } from "../../domain/model.ts";
import type { PlanVersion } from "../commissions/ledger-port.ts";
import { planCacheFor, programPlanAt } from "../commissions/plan-cache.ts";
import type { AdminDeps, Page } from "./deps.ts";
import type { NewProgram } from "./entities-port.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "./scope.ts";
import { checkCurrency, checkEvents, checkLandingTemplate, checkPlainUrl } from "./validate.ts";

interface CreateProgramInput {
  readonly operatorId: number;
  readonly name: string;
  readonly vertical: Vertical;
  readonly currency: string;
  readonly landingUrlTemplate: string;
  readonly fallbackUrl?: string | null | undefined;
  /** Omitted: the vertical's default set (VERTICAL_DEFAULT_EVENTS). */
  readonly allowedEvents?: readonly string[] | undefined;
  readonly lookbackDays?: number | undefined;
  readonly status?: Status | undefined;
  /** `preset` (the default): the vertical's preset plan, in force from creation; `none`: no plan. */
  readonly commissionPlan?: "preset" | "none" | undefined;
}

/** Something about a program a manager should act on (shown by the API and the console). */
interface ProgramWarning {
  readonly code: "no_commission_plan";
  readonly message: string;
}

/** A program with the commission plan in force now (null: none, so it earns nothing). */
export interface ProgramView extends Program {
  readonly commissionPlanId: number | null;
  readonly warnings: readonly ProgramWarning[];
}

interface UpdateProgramInput {
  readonly name?: string | undefined;
  readonly landingUrlTemplate?: string | undefined;
  readonly fallbackUrl?: string | null | undefined;
  readonly allowedEvents?: readonly string[] | undefined;
  readonly lookbackDays?: number | undefined;
  readonly status?: Status | undefined;
}

const DEFAULT_LOOKBACK_DAYS = 30;

const NO_PLAN_WARNING: ProgramWarning = {
  code: "no_commission_plan",
  message:
    "No commission plan is in force: conversions earn nothing except for affiliates with a deal. " +
    "Add one (POST /v1/programs/{id}/plans; GET /v1/commission-presets/{vertical} is a start), " +
    "then recalculate the conversions received meanwhile.",
};

/** The programs with the plan each has in force now (one query for all of them). */
async function withPlans(deps: AdminDeps, programs: readonly Program[]): Promise<ProgramView[]> {
  const versions = await deps.store.commissions.plansOf(programs.map((p) => p.id));
  const byProgram = new Map<number, PlanVersion[]>();
  for (const v of versions) byProgram.set(v.programId, [...(byProgram.get(v.programId) ?? []), v]);
  const now = deps.clock.now();
  return programs.map((program) => {
    const plan = programPlanAt(byProgram.get(program.id) ?? [], now);
    return { ...program, commissionPlanId: plan?.id ?? null, warnings: plan ? [] : [NO_PLAN_WARNING] };
  });
}

const withPlan = async (deps: AdminDeps, program: Program): Promise<ProgramView> =>
  (await withPlans(deps, [program]))[0]!;

export async function createProgram(
  deps: AdminDeps,
  principal: Principal,
  input: CreateProgramInput,
): Promise<ProgramView> {
  allowRoles(principal, "admin");
  if (!(await deps.store.operators.get(input.operatorId))) {
    throw new PostwireError(
      "validation_failed",
      `Operator ${input.operatorId} does not exist.`,
      "operator_id",
    );
  }
  const row: NewProgram = {
    operatorId: input.operatorId,
    name: input.name,
    vertical: input.vertical,
    currency: checkCurrency(input.currency),
    landingUrlTemplate: checkLandingTemplate(input.landingUrlTemplate),
    fallbackUrl: input.fallbackUrl ? checkPlainUrl(input.fallbackUrl, "fallback_url") : null,
    allowedEvents: checkEvents(input.allowedEvents ?? VERTICAL_DEFAULT_EVENTS[input.vertical]),
    lookbackDays: input.lookbackDays ?? DEFAULT_LOOKBACK_DAYS,
    status: input.status ?? "active",
  };
  const now = deps.clock.now();
  const program = await deps.store.programs.create(row, now);
  deps.catalog.invalidate();
  if ((input.commissionPlan ?? "preset") === "preset") {
    // Not in the program's transaction: if this write fails the answer is an error and the
    // program reads back with its no_commission_plan warning, never silently planless.
    await deps.store.commissions.createPlan(
      {
        programId: program.id,
        affiliateId: null,
        // In force from the start, so events dated before the program's creation (a backfill)
        // earn too; a version the manager adds later takes over from its own effective date.
        effectiveFrom: 0,
        terms: PLAN_PRESETS[program.vertical],
        note: `The ${program.vertical} preset, given when the program was created.`,
      },
      now,
    );
    planCacheFor(deps.catalog, deps.clock).invalidate();
  }
  return withPlan(deps, program);
}

/** The program, if it belongs to an operator the caller sees; otherwise 404. */
export async function getProgram(deps: AdminDeps, principal: Principal, id: number): Promise<Program> {
  allowRoles(principal, "admin", "operator");
  const program = await deps.store.programs.get(id);
  if (!program || !seesOperator(principal, program.operatorId)) throw notFound("Program", id);
  return program;
}

/** The program as the API shows it: with its plan in force and its warnings. */
export async function viewProgram(deps: AdminDeps, principal: Principal, id: number): Promise<ProgramView> {
  return withPlan(deps, await getProgram(deps, principal, id));
}

export async function listPrograms(
  deps: AdminDeps,
  principal: Principal,
  filter: Page & { operatorId?: number | undefined },
): Promise<ProgramView[]> {
  allowRoles(principal, "admin", "operator");
  const { operatorId } = tenantFilter(principal, { operatorId: filter.operatorId });
  return withPlans(
    deps,
    await deps.store.programs.list({ limit: filter.limit, after: filter.after, operatorId }),
  );
}

export async function updateProgram(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  input: UpdateProgramInput,
): Promise<ProgramView> {
  allowRoles(principal, "admin");
  await getProgram(deps, principal, id);
  // Fields left undefined are not written; a null fallback_url clears it.
  const patch: Partial<NewProgram> = {
    name: input.name,
    landingUrlTemplate: input.landingUrlTemplate && checkLandingTemplate(input.landingUrlTemplate),
    fallbackUrl: input.fallbackUrl && checkPlainUrl(input.fallbackUrl, "fallback_url"),
    allowedEvents: input.allowedEvents && checkEvents(input.allowedEvents),
    lookbackDays: input.lookbackDays,
    status: input.status,
  };
  const updated = await deps.store.programs.update(id, patch, deps.clock.now());
  deps.catalog.invalidate();
  // The commission rules read the look-back through the plan cache.
  planCacheFor(deps.catalog, deps.clock).invalidate();
  if (!updated) throw notFound("Program", id);
  return withPlan(deps, updated);
}
