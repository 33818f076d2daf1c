/**
 * Use case: compare an operator's own list of events for a period with what was received
 * (docs/reconciliation.md). The run is created, its file compared (compare-file.ts: in this
 * thread, or in a worker thread as the service does it) and the run finished with what was found;
 * a comparison that fails leaves the run refused or failed, with none of its rows.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Operator, Principal } from "../../domain/model.ts";
import type { ParamMapping } from "../../domain/postback-params.ts";
import { checkMapping } from "../admin/mapping.ts";
import { allowRoles, notFound, seesOperator } from "../admin/scope.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import { type CompareFile, emptyCounts } from "./compare-file.ts";
import type { ReconciliationRun } from "./reconciliation-port.ts";

export interface ReconcileRequest {
  readonly operatorId: number;
  readonly from: number;
  readonly to: number;
  /** Column renames (their name → ours) over the operator's own parameter mapping. */
  readonly columns?: Readonly<Record<string, string>>;
  readonly format: ReconciliationRun["format"];
  /** Compares the file with the run (compare-file.ts `compareFile`, or a worker thread's). */
  readonly compare: CompareFile;
}

export interface ReconcileDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: Ids;
}

/** The operator whose events `principal` may reconcile (403 for an affiliate key, else 404). */
export async function operatorToReconcile(
  deps: { readonly store: Store },
  principal: Principal,
  operatorId: number,
): Promise<Operator> {
  allowRoles(principal, "admin", "operator");
  const operator = await deps.store.operators.get(operatorId);
  if (!operator || !seesOperator(principal, operatorId)) throw notFound("Operator", operatorId);
  return operator;
}

export async function reconcileEvents(
  deps: ReconcileDeps,
  principal: Principal,
  request: ReconcileRequest,
): Promise<ReconciliationRun> {
  const operator = await operatorToReconcile(deps, principal, request.operatorId);
  if (!(request.from < request.to))
    throw new PostwireError("invalid_field", "from must be before to.", "from");
  const mapping: ParamMapping = checkMapping({
    params: { ...operator.mapping.params, ...request.columns },
    values: operator.mapping.values,
  });
  const store = deps.store.reconciliations;
  const run: ReconciliationRun = {
    id: deps.ids.next("rc"),
    operatorId: operator.id,
    from: request.from,
    to: request.to,
    format: request.format,
    fileSha256: "",
    fileBytes: 0,
    status: "running",
    error: null,
    counts: emptyCounts(),
    summary: [],
    createdByKeyId: principal.keyId || null,
    createdAt: deps.clock.now(),
    finishedAt: null,
  };
  await store.create(run);
  try {
    const found = await request.compare(run, mapping);
    const result = { status: "done" as const, error: null, ...found, finishedAt: deps.clock.now() };
    await store.finish(run.id, result);
    return { ...run, ...result };
  } catch (error) {
    // A refused file (wrong encoding, too large) keeps the run, with why, and none of its rows.
    const refused = error instanceof PostwireError;
    await store.abandon(run.id, {
      status: refused ? "refused" : "failed",
      error: refused ? error.message : "internal error",
      counts: emptyCounts(),
      summary: [],
      fileSha256: "",
      fileBytes: 0,
      finishedAt: deps.clock.now(),
    });
    throw error;
  }
}
