/**
 * Reading the step trace of a request-log row (issue 16): admin sees every trace, an operator key
 * its own operator's. The outbound step shows the affiliates' endpoint requests: an operator sees
 * which endpoints and statuses, never the affiliate's URL or body (another tenant's settings).
 */
import type { Principal } from "../../domain/model.ts";
import type { PostbackTrace, TraceMode } from "../../domain/postback-trace.ts";
import type { AdminDeps } from "./deps.ts";
import { rebuildTrace } from "./rebuild-trace.ts";
import { allowRoles, notFound, seesOperator } from "./scope.ts";

interface TraceView {
  readonly requestLogId: string;
  readonly operatorId: number | null;
  readonly receivedAt: number;
  readonly mode: TraceMode;
  readonly trace: PostbackTrace;
}

export async function getPostbackTrace(
  deps: AdminDeps,
  principal: Principal,
  requestLogId: string,
): Promise<TraceView> {
  allowRoles(principal, "admin", "operator");
  const sees = (operatorId: number | null) =>
    principal.role === "admin" || (operatorId !== null && seesOperator(principal, operatorId));
  const row = await deps.store.traces.get(requestLogId);
  let view: TraceView;
  if (row) {
    if (!sees(row.operatorId)) throw notFound("Request-log entry", requestLogId);
    const trace = JSON.parse(row.trace) as PostbackTrace;
    view = { requestLogId, operatorId: row.operatorId, receivedAt: row.receivedAt, mode: row.mode, trace };
  } else {
    // Not traced when it arrived: rebuilt from what the records keep.
    const entry = await deps.store.traces.requestLogEntry(requestLogId);
    if (!entry || !sees(entry.operatorId)) throw notFound("Request-log entry", requestLogId);
    const trace = await rebuildTrace(deps, entry);
    view = {
      requestLogId,
      operatorId: entry.operatorId,
      receivedAt: entry.receivedAt,
      mode: "rebuilt",
      trace,
    };
  }
  return principal.role === "admin" ? view : { ...view, trace: withoutAffiliateRequests(view.trace) };
}

/** What a refused signature of the request log was checked over (never the secret). */
export async function getSignatureEvidence(
  deps: AdminDeps,
  principal: Principal,
  requestLogId: string,
): Promise<{ receivedAt: number; material: Record<string, unknown> }> {
  allowRoles(principal, "admin", "operator");
  const row = await deps.store.traces.signatureEvidence(requestLogId);
  const visible =
    row !== undefined &&
    (principal.role === "admin" || (row.operatorId !== null && seesOperator(principal, row.operatorId)));
  if (!visible) throw notFound("Signature evidence of request-log entry", requestLogId);
  return { receivedAt: row.receivedAt, material: JSON.parse(row.material) as Record<string, unknown> };
}

function withoutAffiliateRequests(trace: PostbackTrace): PostbackTrace {
  return {
    ...trace,
    steps: trace.steps.map((step) => {
      const deliveries = step.details["deliveries"];
      if (step.step !== "outbound" || !Array.isArray(deliveries)) return step;
      return {
        ...step,
        details: {
          ...step.details,
          deliveries: deliveries.map((d: Record<string, unknown>) => ({
            endpoint_id: d["endpoint_id"],
            status: d["status"],
            method: d["method"],
            run_at: d["run_at"],
          })),
        },
      };
    }),
  };
}
