/**
 * A reconciliation run's rows as CSV (RFC 4180, a header line first), a page at a time: the API's
 * rows.csv and the console's download both stream it. The scope is checked before the first byte.
 */

import type { Store } from "../../app/ports.ts";
import type { ResultRow } from "../../app/reconcile/reconciliation-port.ts";
import { getReconciliation } from "../../app/reconcile/reconciliation-reads.ts";
import type { Principal } from "../../domain/model.ts";
import type { ReconciliationCategory } from "../../domain/reconciliation.ts";
import { csvLine } from "./csv.ts";
import { isoOrNull } from "./routes/admin/schemas.ts";

const CSV_HEADER = csvLine([
  "seq",
  "category",
  "line",
  "txid",
  "event",
  "occurred_at",
  "differences",
  "error",
  "conversion_id",
  "backfill_code",
]);

const rowCsv = (r: ResultRow): string =>
  csvLine([
    r.seq,
    r.category,
    r.line,
    r.txid,
    r.event,
    isoOrNull(r.occurredAt),
    r.differences?.map((d) => `${d.field}: file ${d.file ?? "-"}, received ${d.received ?? "-"}`).join("; "),
    r.error,
    r.conversionId,
    r.backfillCode,
  ]);

/** The file's name and its lines, of one category or all; 404 unless `principal` sees the run. */
export async function reconciliationCsv(
  deps: { readonly store: Store },
  principal: Principal,
  id: string,
  category: ReconciliationCategory | undefined,
): Promise<{ readonly name: string; readonly lines: AsyncIterable<string> }> {
  const run = await getReconciliation(deps, principal, id);
  async function* lines() {
    yield CSV_HEADER;
    for (let afterSeq = 0; ; ) {
      const page = await deps.store.reconciliations.rows(run.id, {
        afterSeq,
        limit: 1000,
        ...(category ? { category } : {}),
      });
      if (!page.length) return;
      yield page.map(rowCsv).join("");
      afterSeq = page.at(-1)!.seq;
    }
  }
  return { name: `${run.id}-${category ?? "all"}.csv`, lines: lines() };
}
