/**
 * Programs: one operator's affiliate program, one vertical, one currency. Operator, vertical and
 * currency are fixed once created (commissions and reports depend on them): create a new program
 * instead.
 */
import { PostwireError } from "../../domain/errors.ts";
import { VERTICAL_DEFAULT_EVENTS, type Vertical } from "../../domain/event-types.ts";
import type { Principal, Program, Status } from "../../domain/model.ts";
import type { AdminDeps, Page } from "./deps.ts";
import type { NewProgram } from "./entities-port.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "./scope.ts";
import { checkCurrency, checkEvents, checkLandingTemplate, checkPlainUrl } from "./validate.ts";

export interface CreateProgramInput {
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
}

export interface UpdateProgramInput {
  readonly name?: string | undefined;
  readonly landingUrlTemplate?: string | undefined;
  readonly fallbackUrl?: string | null | undefined;
  readonly allowedEvents?: readonly string[] | undefined;
  readonly lookbackDays?: number | undefined;
  readonly status?: Status | undefined;
}

export const DEFAULT_LOOKBACK_DAYS = 30;

export async function createProgram(
  deps: AdminDeps,
  principal: Principal,
  input: CreateProgramInput,
): Promise<Program> {
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
  const program = await deps.store.programs.create(row, deps.clock.now());
  deps.catalog.invalidate();
  return program;
}

/** The program, if it belongs to an operator the caller sees; otherwise 404. */
export async function getProgram(deps: AdminDeps, principal: Principal, id: number): Promise<Program> {
  allowRoles(principal, "admin", "operator");
  const program = await deps.store.programs.get(id);
  if (!program || !seesOperator(principal, program.operatorId)) throw notFound("Program", id);
  return program;
}

export async function listPrograms(
  deps: AdminDeps,
  principal: Principal,
  filter: Page & { operatorId?: number | undefined },
): Promise<Program[]> {
  allowRoles(principal, "admin", "operator");
  const { operatorId } = tenantFilter(principal, { operatorId: filter.operatorId });
  return deps.store.programs.list({ limit: filter.limit, after: filter.after, operatorId });
}

export async function updateProgram(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  input: UpdateProgramInput,
): Promise<Program> {
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
  if (!updated) throw notFound("Program", id);
  return updated;
}
