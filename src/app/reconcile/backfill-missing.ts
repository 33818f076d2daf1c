/**
 * Use case: ingest the missing rows of a reconciliation run (all, or those of some txids) through
 * the same group-committed pipeline as live postbacks (ingest-postback.ts `backfill`): validation,
 * txid dedupe, attribution, commissions and outbound postbacks, with the file's occurred_at and the
 * run as the source of the conversion and of the request-log row. Each row's outcome is kept, so a
 * second run skips the rows already settled and changes nothing; a live postback racing a backfill
 * of the same txid is decided by the txid's unique key (one conversion, the other a duplicate).
 * Mismatches are never touched: they are listed for a manual adjustment. Each backfill is kept as
 * its own record (who, when, the txids asked for, the counts, each row's answer and conversion).
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { notFound } from "../admin/scope.ts";
import type { BackfillRequest } from "../ingest/ingest-postback.ts";
import type { PostbackAnswer } from "../ingest/postback-answers.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import type { Backfill, ResultRow } from "./reconciliation-port.ts";
import { getReconciliation } from "./reconciliation-reads.ts";

export interface BackfillDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly ingestor: { backfill(request: BackfillRequest): Promise<PostbackAnswer> };
}

interface BackfillResult {
  readonly reconciliationId: string;
  /** The record of this backfill (GET /v1/reconciliations/{id}/backfills). */
  readonly backfillId: string;
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
  const backfill: Backfill = {
    id: deps.ids.next("bf"),
    reconciliationId: run.id,
    txids: request.txids ? [...request.txids] : null,
    status: "running",
    attempted: 0,
    alreadyDone: alreadyDone,
    outcomes: {},
    createdByKeyId: principal.keyId || null,
    createdAt: deps.clock.now(),
    finishedAt: null,
  };
  await store.createBackfill(backfill);
  const outcomes: Record<string, number> = {};
  let attempted = 0;
  const finish = (status: Backfill["status"]) =>
    store.finishBackfill(backfill.id, {
      status,
      attempted,
      alreadyDone,
      outcomes,
      finishedAt: deps.clock.now(),
    });
  try {
    await ingest(deps, { operator, runId: run.id, backfillId: backfill.id, rows: ordered, outcomes }, (n) => {
      attempted = n;
      request.onProgress?.(n);
    });
  } catch (error) {
    await finish("failed");
    throw error;
  }
  await finish("done");
  return { reconciliationId: run.id, backfillId: backfill.id, attempted, outcomes, alreadyDone };
}

/** Ingests `rows` a wave at a time, recording each answer as it comes; told the rows done. */
async function ingest(
  deps: BackfillDeps,
  job: {
    readonly operator: BackfillRequest["operator"];
    readonly runId: string;
    readonly backfillId: string;
    readonly rows: readonly ResultRow[];
    readonly outcomes: Record<string, number>;
  },
  done: (rows: number) => void,
): Promise<void> {
  const { operator, rows: ordered, outcomes } = job;
  for (let start = 0; start < ordered.length; start += WAVE) {
    const wave = ordered.slice(start, start + WAVE);
    const answers = await Promise.all(
      wave.map((row) =>
        deps.ingestor.backfill({
          operator,
          pairs: row.fields ?? [],
          reconciliationId: job.runId,
          receivedAt: deps.clock.now(),
        }),
      ),
    );
    for (const answer of answers) outcomes[answer.code] = (outcomes[answer.code] ?? 0) + 1;
    await deps.store.reconciliations.markBackfilled(
      job.runId,
      job.backfillId,
      answers.map((answer, i) => ({
        seq: wave[i]!.seq,
        txid: wave[i]!.txid,
        code: answer.code,
        conversionId: conversionIdOf(answer),
      })),
    );
    done(start + wave.length);
  }
}

function conversionIdOf(answer: PostbackAnswer): string | null {
  if (answer.code !== "accepted" && answer.code !== "duplicate") return null;
  const body = JSON.parse(answer.body) as { conversion_id?: unknown };
  return typeof body.conversion_id === "string" ? body.conversion_id : null;
}
