/**
 * The go-live checklist of a program (issue 16) over the API: built from the operator's traced
 * postbacks (test, validate-only) since the program's last reset; reset on demand. Admin, or the
 * operator key of the program's operator.
 */
import { buildChecklist, type CheckEvidence, type Checklist } from "../../domain/go-live-checklist.ts";
import type { Principal } from "../../domain/model.ts";
import type { PostbackTrace } from "../../domain/postback-trace.ts";
import type { AdminDeps } from "./deps.ts";
import { getProgram } from "./programs.ts";

/** How many of the operator's latest traces the checklist reads (a go-live session sends a few dozen). */
const CHECKLIST_TRACES = 2000;

export interface ChecklistView extends Checklist {
  readonly programId: number;
  readonly resetAt: number | null;
}

export async function programChecklist(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
): Promise<ChecklistView> {
  const program = await getProgram(deps, principal, programId);
  const operator = await deps.store.operators.get(program.operatorId);
  const resetAt = (await deps.store.traces.checklistResetAt(programId)) ?? null;
  const rows = await deps.store.traces.ofOperator(
    program.operatorId,
    resetAt === null ? 0 : resetAt + 1,
    CHECKLIST_TRACES,
  );
  // Test postbacks and validate-only runs count; a live postback traced on request does not.
  const evidence: CheckEvidence[] = rows.flatMap((row) => {
    if (row.mode === "requested") return [];
    const result = (JSON.parse(row.trace) as PostbackTrace).result;
    return result ? [{ requestLogId: row.requestLogId, receivedAt: row.receivedAt, result }] : [];
  });
  const signs = (operator?.auth.hmacSecrets.length ?? 0) > 0;
  return { programId, resetAt, ...buildChecklist(program.id, program.allowedEvents, signs, evidence) };
}

export async function resetProgramChecklist(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
): Promise<ChecklistView> {
  await getProgram(deps, principal, programId);
  await deps.store.traces.resetChecklist(programId, deps.clock.now());
  return programChecklist(deps, principal, programId);
}
