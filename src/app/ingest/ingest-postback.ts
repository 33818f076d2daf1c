/**
 * Use case: ingest one inbound postback (DESIGN §2). Cheap checks run per request (operator,
 * parameters, authentication, click verification); everything touching stored state runs in a
 * group-committed batch (commit-postbacks.ts). The answer is given only after the commit.
 */
import type { ClickResolution } from "../../domain/attribution.ts";
import { verifyClickId } from "../../domain/click-id.ts";
import { ERRORS, type ErrorCode, type Failure, fail, ok, type Result } from "../../domain/errors.ts";
import { clientIp } from "../../domain/ip.ts";
import type { Operator, Program } from "../../domain/model.ts";
import { EMPTY_MAPPING, type PostbackFields, parsePostbackParams } from "../../domain/postback-params.ts";
import { failedStep, type PostbackTrace } from "../../domain/postback-trace.ts";
import { isUnstorable, unstorableMessage } from "../../domain/storable-text.ts";
import type { Catalog } from "../catalog.ts";
import { dryRun } from "../dry-run.ts";
import { createGroupCommitter, type GroupCommitOptions, OverloadedError } from "../group-commit.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import type { RequestLogRow } from "../records.ts";
import { STORAGE_RETRY_AFTER_SECONDS, UnstorableDataError } from "../storage-errors.ts";
import {
  type BatchItem,
  commitBatch,
  decideBatch,
  type LogMeta,
  LostRaceError,
  type Written,
} from "./commit-postbacks.ts";
import type { ConversionEffect, IngestTx } from "./ingest-port.ts";
import { errorAnswer, failureAnswer, type PostbackAnswer } from "./postback-answers.ts";
import {
  authenticateRequest,
  authenticationTrace,
  type PostbackRequest,
  requestPairs,
  signatureMaterial,
} from "./postback-request.ts";
import { rawRequestJson } from "./request-log.ts";
import { startTrace, traceAuthentication, traceFields, VALIDATE_ONLY_REASON } from "./trace-steps.ts";

export type { PostbackRequest } from "./postback-request.ts";

/** What the request log needs of a request refused early; its method may be any (405). */
export type LoggableRequest = Omit<PostbackRequest, "method"> & { readonly method: string };

export interface IngestDeps {
  /** Run inside each batch's transaction on its new conversions (commissions, then outbound). */
  readonly effects?: readonly ConversionEffect[];
  readonly store: Store;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly clickSecrets: readonly Buffer[];
  readonly batching: GroupCommitOptions;
  /** Called when storage fails, with the error (for logs). */
  readonly onStorageError?: (error: unknown) => void;
  /** Told the sender's signed time minus ours (seconds) of each verified signature (clock skew). */
  readonly onSignatureSkew?: (skewSeconds: number, operatorId: number) => void;
  /** Told of every answer (metrics): its operator, null when none is known, and the request's start. */
  readonly onAnswer?: (answer: PostbackAnswer, operatorId: number | null, startedNs: bigint) => void;
}

export interface PostbackIngestor {
  handle(request: PostbackRequest): Promise<PostbackAnswer>;
  /** Logs and answers a request the HTTP layer refused before it reached `handle` (e.g. too large). */
  reject(request: LoggableRequest, code: ErrorCode, message?: string): Promise<PostbackAnswer>;
  drain(): Promise<void>;
  /**
   * Ingests one event of a reconciliation run (docs/reconciliation.md) through the same batches
   * as live postbacks: validation, txid dedupe, attribution and effects. The caller (an API key
   * or the command line) stands in for the operator's authentication.
   */
  backfill(request: BackfillRequest): Promise<PostbackAnswer>;
}

/** One missing event of a reconciliation run, its fields already in our names and values. */
export interface BackfillRequest {
  readonly operator: Operator;
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  readonly reconciliationId: string;
  readonly receivedAt: number;
}

export function createPostbackIngestor(deps: IngestDeps): PostbackIngestor {
  const nowNs = () => process.hrtime.bigint();
  const committer = createGroupCommitter<BatchItem, PostbackAnswer>(
    (items) => commitBatch(deps.store, items, deps.ids, nowNs, deps.effects ?? []),
    deps.batching,
  );

  // Validate-only runs, one transaction each, under the same backpressure as real ones (429).
  const dryRuns = createGroupCommitter<BatchItem, PostbackAnswer>(
    async ([item]) => [await validateOnly(item!)],
    {
      maxBatch: 1,
      concurrency: deps.batching.concurrency,
      maxPending: deps.batching.maxPending,
    },
  );

  async function submit(item: BatchItem): Promise<PostbackAnswer> {
    if (item.meta.trace?.mode === "validate_only") {
      try {
        return await dryRuns.submit(item);
      } catch (error) {
        if (error instanceof OverloadedError) return errorAnswer("overloaded", undefined, 1);
        throw error;
      }
    }
    try {
      return await committer.submit(item);
    } catch (error) {
      if (error instanceof OverloadedError) return errorAnswer("overloaded", undefined, 1);
      deps.onStorageError?.(error);
      // A rejection stays a rejection even when it could not be logged.
      if (item.kind === "rejected") return item.answer;
      // This item's own data could not be stored (the others of its batch were): a bug to fix, not
      // a database that will come back.
      if (error instanceof UnstorableDataError) return errorAnswer("internal_error");
      return errorAnswer("storage_unavailable", undefined, STORAGE_RETRY_AFTER_SECONDS);
    }
  }

  /**
   * The whole pipeline in one transaction that is then rolled back (on both engines): nothing is
   * stored but the request-log row, marked validate-only, and the trace, written after the rollback.
   */
  async function validateOnly(item: BatchItem): Promise<PostbackAnswer> {
    let outcome: { answer: PostbackAnswer; written: Written } | undefined;
    for (let attempt = 1; !outcome; attempt++) {
      const written: Written = { logs: [], traces: [], signatures: [] };
      try {
        outcome = await dryRun(
          (work) => deps.store.ingest(work),
          async (tx: IngestTx) => {
            const [answer] = await decideBatch(tx, [item], deps.ids, nowNs, deps.effects ?? [], [], written);
            return { answer: answer!, written };
          },
        );
      } catch (error) {
        if (!(error instanceof LostRaceError) || attempt >= 4) {
          deps.onStorageError?.(error);
          return errorAnswer("storage_unavailable", undefined, STORAGE_RETRY_AFTER_SECONDS);
        }
      }
    }
    const { answer, written } = outcome;
    try {
      await deps.store.insertRequestLogs(written.logs.map(markedValidateOnly));
      await deps.store.traces.insert(written.traces);
      await deps.store.traces.insertSignatureEvidence(written.signatures);
    } catch (error) {
      // The answer stands: a validate-only run stores nothing of the event anyway.
      deps.onStorageError?.(error);
    }
    return validateOnlyAnswer(answer, written.traces[0]?.trace);
  }

  /**
   * A request refused once its operator is known concerned that operator's only program, if it has
   * one (as an event naming no program would); with several, which one cannot be known.
   */
  async function onlyProgramOf(operatorId: number | null): Promise<number | null> {
    if (operatorId === null) return null;
    try {
      const programs = (await deps.catalog.programsOf(operatorId)) ?? [];
      return programs.length === 1 ? programs[0]!.id : null;
    } catch {
      // The refusal stands; its log row simply names no program.
      return null;
    }
  }

  async function reject(meta: LogMeta, failure: Failure): Promise<PostbackAnswer> {
    const programId = meta.programId !== undefined ? meta.programId : await onlyProgramOf(meta.operatorId);
    return submit({
      kind: "rejected",
      answer: failureAnswer(failure),
      code: failure.code,
      // The diagnostics stay with the refusal in the request log (what was verified, the mistake).
      reason:
        failure.details === undefined
          ? failure.message
          : `${failure.message} ${JSON.stringify(failure.details)}`,
      meta: { ...meta, programId },
    });
  }

  async function resolveClick(clickId: string | undefined, operatorId: number): Promise<ClickResolution> {
    if (!clickId) return { kind: "none" };
    const parts = verifyClickId(deps.clickSecrets, clickId);
    if (!parts.ok) return { kind: "invalid", reason: "click_id_invalid" };
    const link = await deps.catalog.linkById(parts.value.linkId);
    const program = link ? await deps.catalog.program(link.programId) : undefined;
    if (!link || !program || program.operatorId !== operatorId)
      return { kind: "invalid", reason: "link_not_found" };
    return {
      kind: "touch",
      touch: { clickId, linkId: link.id, affiliateId: link.affiliateId, programId: program.id },
      clickedAt: parts.value.issuedAtSeconds * 1000,
    };
  }

  async function handle(request: PostbackRequest): Promise<PostbackAnswer> {
    if (!deps.onAnswer) return answer(request);
    const seen: Seen = { operatorId: null };
    const given = await answer(request, seen);
    deps.onAnswer(given, seen.operatorId, request.startedNs);
    return given;
  }

  async function answer(request: PostbackRequest, seen?: Seen): Promise<PostbackAnswer> {
    const raw = rawRequestJson({
      method: request.method,
      rawQuery: request.rawQuery,
      headers: request.headers,
      body: request.body,
    });
    const meta: LogMeta = {
      receivedAt: request.receivedAt,
      startedNs: request.startedNs,
      method: request.method,
      path: request.path,
      ip: request.remoteAddress,
      raw,
      txid: null,
      operatorId: null,
    };
    if (isUnstorable(request.operatorKey))
      return reject(meta, {
        code: "invalid_field",
        message: unstorableMessage("operator_key"),
        field: "operator_key",
      });
    let entry: Awaited<ReturnType<Catalog["operatorByKey"]>>;
    try {
      entry = await deps.catalog.operatorByKey(request.operatorKey);
    } catch (error) {
      deps.onStorageError?.(error);
      return errorAnswer("storage_unavailable", undefined, STORAGE_RETRY_AFTER_SECONDS);
    }
    if (!entry)
      return reject(meta, {
        code: "unknown_operator",
        message: `No operator has the key "${request.operatorKey}".`,
      });
    const { operator, auth } = entry;
    if (seen) seen.operatorId = operator.id;
    const ip = clientIp(request.remoteAddress, request.headers["x-forwarded-for"], auth?.trustedProxies);
    const base: LogMeta = { ...meta, ip, operatorId: operator.id };
    if (operator.status !== "active")
      return reject(base, { code: "operator_disabled", message: "The operator is disabled." });

    const pairs = requestPairs(request);
    if (!pairs.ok) return reject(base, pairs.error);
    const named = pairs.value.find(([name]) => name === "txid")?.[1] ?? null;
    // Only a traced postback (test, validate-only) pays for its trace; a live one never does.
    const trace = startTrace(request, pairs.value, operator);
    const withTxid: LogMeta = trace ? { ...base, txid: named, trace } : { ...base, txid: named };
    if (!auth) {
      const failure: Failure = {
        code: "invalid_signature",
        message: "The operator's authentication settings are invalid; ask the network to fix them.",
      };
      if (trace) failedStep(trace, "authentication", failure);
      return reject(withTxid, failure);
    }
    const authenticated = authenticateRequest(auth, request, pairs.value, ip, (skew) =>
      deps.onSignatureSkew?.(skew, operator.id),
    );
    if (trace) traceAuthentication(trace, authenticated, authenticationTrace(auth, request, pairs.value, ip));
    if (!authenticated.ok) {
      const signature = signatureMaterial(request, authenticated.error.code);
      return reject(signature ? { ...withTxid, signature } : withTxid, authenticated.error);
    }

    const fields = parsePostbackParams(pairs.value, operator.mapping, request.receivedAt);
    if (trace) traceFields(trace, pairs.value, operator.mapping, fields);
    if (!fields.ok) return reject(withTxid, fields.error);
    return submitParsed(operator, fields.value, { ...withTxid, txid: fields.value.txid }, trace);
  }

  /**
   * A parsed event, live or backfilled alike: its program and click resolved, then queued for the
   * batch (a program it names that the operator does not run is refused here).
   */
  async function submitParsed(
    operator: Operator,
    fields: PostbackFields,
    meta: LogMeta,
    trace?: PostbackTrace,
  ): Promise<PostbackAnswer> {
    let programs: Program[];
    let click: ClickResolution;
    try {
      programs = (await deps.catalog.programsOf(operator.id)) ?? [];
      click = await resolveClick(fields.clickId, operator.id);
    } catch (error) {
      deps.onStorageError?.(error);
      return errorAnswer("storage_unavailable", undefined, STORAGE_RETRY_AFTER_SECONDS);
    }
    const declared = declaredProgram(fields.programId, programs);
    if (!declared.ok) {
      if (trace) failedStep(trace, "validation", declared.error);
      return reject(
        { ...meta, programId: click.kind === "touch" ? click.touch.programId : null },
        declared.error,
      );
    }
    return submit({
      kind: "event",
      operator,
      fields,
      click,
      programs,
      declaredProgramId: declared.value,
      meta,
    });
  }

  async function rejectEarly(
    request: LoggableRequest,
    code: ErrorCode,
    message?: string,
  ): Promise<PostbackAnswer> {
    let operatorId: number | null = null;
    try {
      if (!isUnstorable(request.operatorKey))
        operatorId = (await deps.catalog.operatorByKey(request.operatorKey))?.operator.id ?? null;
    } catch {
      // The rejection stands; the log row simply names no operator.
    }
    const given = await reject(
      { ...metaOf(request), operatorId },
      { code, message: message ?? ERRORS[code].message },
    );
    deps.onAnswer?.(given, operatorId, request.startedNs);
    return given;
  }

  async function backfill(request: BackfillRequest): Promise<PostbackAnswer> {
    const { operator, pairs, reconciliationId, receivedAt } = request;
    const txid = pairs.find(([name]) => name === "txid")?.[1] ?? null;
    const meta: LogMeta = {
      receivedAt,
      startedNs: nowNs(),
      method: "POST",
      path: `/v1/reconciliations/${reconciliationId}/backfill`,
      ip: null,
      raw: JSON.stringify({ source: "reconciliation", reconciliation_id: reconciliationId, fields: pairs }),
      txid,
      operatorId: operator.id,
      reconciliationId,
    };
    // Mapped when the file was read: the fields are ours already.
    const fields = parsePostbackParams(pairs, EMPTY_MAPPING, receivedAt);
    if (!fields.ok) return reject(meta, fields.error);
    return submitParsed(operator, fields.value, meta);
  }

  return {
    handle,
    reject: rejectEarly,
    drain: async () => {
      await committer.drain();
      await dryRuns.drain();
    },
    backfill,
  };
}

/** A validate-only run's request-log row, marked in its reason (its outcome is a test: commit-postbacks.ts). */
const markedValidateOnly = (row: RequestLogRow): RequestLogRow => ({
  ...row,
  reason: row.reason === null ? VALIDATE_ONLY_REASON : `${VALIDATE_ONLY_REASON} ${row.reason}`,
});

/** The answer a real run would give, saying nothing was stored, with the trace inline. */
function validateOnlyAnswer(answer: PostbackAnswer, trace: string | undefined): PostbackAnswer {
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  const steps = trace === undefined ? [] : (JSON.parse(trace) as PostbackTrace).steps;
  return { ...answer, body: JSON.stringify({ ...body, validate_only: true, trace: steps }) };
}

/** What `handle` learnt of the request on the way to its answer. */
interface Seen {
  operatorId: number | null;
}

function metaOf(request: LoggableRequest): LogMeta {
  return {
    receivedAt: request.receivedAt,
    startedNs: request.startedNs,
    method: request.method,
    path: request.path,
    ip: request.remoteAddress,
    raw: rawRequestJson({
      method: request.method,
      rawQuery: request.rawQuery,
      headers: request.headers,
      body: request.body,
    }),
    txid: null,
    operatorId: null,
  };
}

/** The program named by `program_id`, or the operator's only program. */
function declaredProgram(programId: number | undefined, programs: readonly Program[]): Result<number | null> {
  if (programId !== undefined) {
    if (!programs.some((p) => p.id === programId)) {
      return fail(
        "unknown_program" satisfies ErrorCode,
        `Program ${programId} does not belong to this operator.`,
        "program_id",
      );
    }
    return ok(programId);
  }
  return ok(programs.length === 1 ? programs[0]!.id : null);
}
