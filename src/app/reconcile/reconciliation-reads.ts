/**
 * Reading reconciliation runs and their rows, scoped (DESIGN §6): an admin sees every operator's,
 * an operator key its own operator's (another's answers 404), an affiliate key none (403).
 */
import type { Principal } from "../../domain/model.ts";
import type { ReconciliationCategory } from "../../domain/reconciliation.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "../admin/scope.ts";
import type { Store } from "../ports.ts";
import type {
  Backfill,
  BackfillRow,
  ReconciliationRun,
  ResultRow,
  RunFilter,
} from "./reconciliation-port.ts";

export async function getReconciliation(
  deps: { readonly store: Store },
  principal: Principal,
  id: string,
): Promise<ReconciliationRun> {
  allowRoles(principal, "admin", "operator");
  const run = await deps.store.reconciliations.get(id);
  if (!run || !seesOperator(principal, run.operatorId)) throw notFound("Reconciliation", id);
  return run;
}

export function listReconciliations(
  deps: { readonly store: Store },
  principal: Principal,
  filter: RunFilter,
): Promise<ReconciliationRun[]> {
  allowRoles(principal, "admin", "operator");
  const { operatorId } = tenantFilter(principal, { operatorId: filter.operatorId });
  return deps.store.reconciliations.list({ ...filter, ...(operatorId === undefined ? {} : { operatorId }) });
}

export async function reconciliationRows(
  deps: { readonly store: Store },
  principal: Principal,
  id: string,
  filter: { readonly category?: ReconciliationCategory; readonly afterSeq?: number; readonly limit: number },
): Promise<ResultRow[]> {
  const run = await getReconciliation(deps, principal, id);
  return deps.store.reconciliations.rows(run.id, filter);
}

/** Backfills kept per run that are listed (a run is backfilled a few times, not thousands). */
const BACKFILLS_LISTED = 100;

/** A run's backfills, newest first. */
export async function listBackfills(
  deps: { readonly store: Store },
  principal: Principal,
  id: string,
): Promise<Backfill[]> {
  const run = await getReconciliation(deps, principal, id);
  return deps.store.reconciliations.backfills(run.id, BACKFILLS_LISTED);
}

/** A page of one backfill's rows (404 unless it is a backfill of that run, which the principal sees). */
export async function backfillRows(
  deps: { readonly store: Store },
  principal: Principal,
  id: string,
  backfillId: string,
  filter: { readonly afterSeq?: number; readonly limit: number },
): Promise<BackfillRow[]> {
  const run = await getReconciliation(deps, principal, id);
  const backfill = await deps.store.reconciliations.getBackfill(backfillId);
  if (backfill?.reconciliationId !== run.id) throw notFound("Backfill", backfillId);
  return deps.store.reconciliations.backfillRows(backfillId, filter);
}
