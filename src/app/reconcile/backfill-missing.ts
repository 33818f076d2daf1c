/**
 * Use case: ingest the missing rows of a reconciliation run (all, or those of some txids) through
 * the same group-committed pipeline as live postbacks (ingest-postback.ts `backfill`): validation,
 * txid dedupe, attribution, commissions and outbound postbacks, with the file's occurred_at and the
 * run as the source of the conversion and of the request-log row. Each row's outcome is kept, so a
 * second run skips the rows already settled and changes nothing; a live postback racing a backfill
 * of the same txid is decided by the txid's unique key (one conversion, the other a duplicate).
 * Mismatches are never touched: they are listed for a manual adjustment.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { notFound } from "../admin/scope.ts";
import type { BackfillRequest } from "../ingest/ingest-postback.ts";
import type { PostbackAnswer } from "../ingest/postback-answers.ts";
import type { Clock, Store } from "../ports.ts";
import type { ResultRow } from "./reconciliation-port.ts";
import { getReconciliation } from "./reconciliation-reads.ts";

export interface BackfillDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ingestor: { backfill(request: BackfillRequest): Promise<PostbackAnswer> };
}

export interface BackfillResult {
  readonly reconciliationId: string;
  /** Missing rows ingested now. */
  readonly attempted: number;
  /** Answer codes of those rows (accepted, duplicate, or why one was refused). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Missing rows selected but settled by an earlier backfill (left alone). */
  readonly alreadyDone: number;
}

/** Codes after which a row is settled; any other is tried again by the next backfill. */
const TRANSIENT = new Set(["storage_unavailable", "overloaded", "internal_error"]);
/** Rows submitted together (the group committer batches them). */
const WAVE = 256;

export async function backfillMissing(
  deps: BackfillDeps,
  principal: Principal,
  request: {
    readonly id: string;
    readonly txids?: readonly string[];
    readonly onProgress?: (done: number) => void;
  },
): Promise<BackfillResult> {
  const run = await getReconciliation(deps, principal, request.id);
  if (run.status !== "done")
    throw new PostwireError("conflict", `Reconciliation ${run.id} is ${run.status}: nothing to backfill.`);
  const operator = await deps.store.operators.get(run.operatorId);
  if (!operator) throw notFound("Operator", run.operatorId);
  const store = deps.store.reconciliations;
  const todo: ResultRow[] = [];
  let alreadyDone = 0;
  for (let afterSeq = 0; ; ) {
    const page = await store.rows(run.id, {
      category: "missing",
      afterSeq,
      limit: 1000,
      ...(request.txids ? { txids: request.txids } : {}),
    });
    if (!page.length) break;
    afterSeq = page[page.length - 1]!.seq;
    for (const row of page) {
      if (row.backfillCode === null || TRANSIENT.has(row.backfillCode)) todo.push(row);
      else alreadyDone++;
    }
  }
  // Originals before the events that reverse them (both may be missing).
  const reverses = (row: ResultRow) => row.fields?.some(([name]) => name === "reverses") ?? false;
  const ordered = [...todo.filter((r) => !reverses(r)), ...todo.filter(reverses)];
  const outcomes: Record<string, number> = {};
  for (let start = 0; start < ordered.length; start += WAVE) {
    const wave = ordered.slice(start, start + WAVE);
    const answers = await Promise.all(
      wave.map((row) =>
        deps.ingestor.backfill({
          operator,
          pairs: row.fields ?? [],
          reconciliationId: run.id,
          receivedAt: deps.clock.now(),
        }),
      ),
    );
    for (const answer of answers) outcomes[answer.code] = (outcomes[answer.code] ?? 0) + 1;
    await store.markBackfilled(
      run.id,
      answers.map((answer, i) => ({
        seq: wave[i]!.seq,
        code: answer.code,
        conversionId: conversionIdOf(answer),
      })),
    );
    request.onProgress?.(start + wave.length);
  }
  return { reconciliationId: run.id, attempted: ordered.length, outcomes, alreadyDone };
}

function conversionIdOf(answer: PostbackAnswer): string | null {
  if (answer.code !== "accepted" && answer.code !== "duplicate") return null;
  const body = JSON.parse(answer.body) as { conversion_id?: unknown };
  return typeof body.conversion_id === "string" ? body.conversion_id : null;
}
