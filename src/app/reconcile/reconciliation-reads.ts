/**
 * Reading reconciliation runs and their rows, scoped (DESIGN §6): an admin sees every operator's,
 * an operator key its own operator's (another's answers 404), an affiliate key none (403).
 */
import type { Principal } from "../../domain/model.ts";
import type { ReconciliationCategory } from "../../domain/reconciliation.ts";
import { allowRoles, notFound, seesOperator, tenantFilter } from "../admin/scope.ts";
import type { Store } from "../ports.ts";
import type { ReconciliationRun, ResultRow, RunFilter } from "./reconciliation-port.ts";

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
