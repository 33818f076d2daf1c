/**
 * An uploaded reconciliation file (the API's body, or the console's multipart file part) handed to
 * the use case: received whole first into a temporary file (spool.ts: REQUEST_TIMEOUT_MS bounds the
 * transfer, not the comparison), then read back row by row, in a worker thread when the service
 * runs them (comparison-threads.ts), else in this one. Never held in memory whole.
 */
import { compareFile } from "../../app/reconcile/compare-file.ts";
import type { ReconcileDeps, ReconcileRequest } from "../../app/reconcile/reconcile-events.ts";
import { reconcileEvents } from "../../app/reconcile/reconcile-events.ts";
import type { ReconciliationRun } from "../../app/reconcile/reconciliation-port.ts";
import type { Principal } from "../../domain/model.ts";
import type { ComparisonThreads } from "./comparison-threads.ts";
import { type FileFormat, readEventFile } from "./event-file.ts";
import { spool } from "./spool.ts";

/** The largest file taken (the issue asks for at least 200 MB, about a million rows). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface UploadDeps extends ReconcileDeps {
  /** Worker threads for the comparison (the service's); none: compared in this thread. */
  readonly comparisons?: ComparisonThreads | undefined;
}

export async function reconcileUpload(
  deps: UploadDeps,
  principal: Principal,
  request: Omit<ReconcileRequest, "compare" | "format"> & {
    readonly format: FileFormat;
    readonly body: AsyncIterable<Uint8Array>;
  },
): Promise<ReconciliationRun> {
  const { body, ...rest } = request;
  const file = await spool(body, MAX_FILE_BYTES);
  try {
    const compare = deps.comparisons
      ? deps.comparisons.comparer(file.path, request.format, MAX_FILE_BYTES)
      : compareFile(
          { reconciliations: deps.store.reconciliations, clock: deps.clock },
          readEventFile(file.open(), request.format, MAX_FILE_BYTES),
        );
    return await reconcileEvents(deps, principal, { ...rest, compare });
  } finally {
    await file.remove();
  }
}
