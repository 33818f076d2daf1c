/**
 * Recalculation (issue: commissions that start right): a program that ran without a plan (or an
 * affiliate without its deal) earned nothing; once the plan exists, an admin credits the
 * conversions received meanwhile, for a range of `occurred_at`.
 *
 * - The same rules as at ingest (writeCommissions: plan and deal in force at each conversion's
 *   time, CPA qualification once per player, caps and tiers against the month's running totals,
 *   holds from now), originals first, then their reversals, so a refund received while nothing
 *   was earned now takes back its share.
 * - Mode `unearned` (the default) touches only conversions with no ledger entry at all, so running
 *   it twice changes nothing (the second run finds nothing unearned). Mode `replan` also decides
 *   again the conversions whose latest commissions were decided under another plan or deal version
 *   than the one now in force at their time (a version added or backdated afterwards): what
 *   remains of each rule-made entry is compensated, the CPA qualification released, then the
 *   conversion and its reversals are decided as above (replace-decisions.ts); a second run finds
 *   them current. Existing entries are never edited; conversions with a manual adjustment are left
 *   alone.
 * - Conversions whose affiliate was paid for their month are left alone unless asked
 *   (`includePaidPeriods`), and counted either way.
 * - A preview runs exactly the same transaction and rolls it back: what it shows is what applying
 *   writes, as long as nothing else changes in between.
 * - Each change is forwarded to the affiliate's endpoints (`adjusted`, reason `recalculation`) in
 *   the same transaction; the run is recorded with who and when.
 */
import { periodOf } from "../../domain/commissions/exact.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { allowRoles, notFound } from "../admin/scope.ts";
import { forwardRecalculation } from "../delivery/forward-recalculation.ts";
import { dryRun } from "../dry-run.ts";
import type { IngestTx } from "../ingest/ingest-port.ts";
import type { Clock, Ids, Store } from "../ports.ts";
import type { ConversionRow } from "../records.ts";
import type { CommissionDeps } from "./commission-deps.ts";
import { ownPayouts, writeCommissions } from "./commission-effect.ts";
import type { LedgerEntry } from "./ledger-port.ts";
import type {
  Recalculation,
  RecalculationMode,
  RecalculationTotals,
  RecalculationTx,
} from "./recalculation-port.ts";
import { replaceStaleDecisions } from "./replace-decisions.ts";

/** Conversions one run may credit: one transaction holds them all (SQLite's writer waits). */
export const MAX_RECALCULATED = 50_000;

/** The command line acting as an admin (`postwire commissions recalculate`): recorded with no key. */
export const COMMAND_LINE_ADMIN: Principal = { keyId: 0, role: "admin", operatorId: null, affiliateId: null };

export interface RecalculationDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly commissions: CommissionDeps;
}

interface RecalculationRequest {
  readonly programId: number;
  readonly from: number;
  readonly to: number;
  readonly includePaidPeriods: boolean;
  /** Which conversions (recalculation-port.ts `Recalculation.mode`). */
  readonly mode: RecalculationMode;
  /** true: compute and roll back (nothing stored, nothing sent). */
  readonly preview: boolean;
}

export interface RecalculationResult extends Recalculation {
  readonly preview: boolean;
  /** The entries written (or that applying would write), oldest conversion first. */
  readonly written: readonly LedgerEntry[];
  /** Outbound messages queued (or that applying would queue). */
  readonly messages: number;
}

function totalsOf(entries: readonly LedgerEntry[]): RecalculationTotals {
  const totals: RecalculationTotals = {};
  for (const e of entries) {
    const byStatus = totals[e.currency] ?? {};
    byStatus[e.status] = (byStatus[e.status] ?? 0) + e.amountMinor;
    totals[e.currency] = byStatus;
  }
  return totals;
}

export async function recalculateCommissions(
  deps: RecalculationDeps,
  principal: Principal,
  request: RecalculationRequest,
): Promise<RecalculationResult> {
  allowRoles(principal, "admin");
  if (!(await deps.store.programs.get(request.programId))) throw notFound("Program", request.programId);
  if (!(request.from < request.to))
    throw new PostwireError("invalid_field", "`from` must be before `to`.", "to");
  const id = deps.ids.next("rc");
  const run = async (tx: IngestTx, recalc: RecalculationTx): Promise<RecalculationResult> => {
    const replan = request.mode === "replan";
    // Unearned conversions have no entry at all, decided ones rule-made entries: never both.
    const candidates = async () => ({
      unearned: await recalc.unearned(request, MAX_RECALCULATED + 1),
      decided: replan ? await recalc.decided(request, MAX_RECALCULATED + 1) : [],
    });
    // Two runs over one program must not both credit a conversion: take the month locks of the
    // candidates (PostgreSQL: a run already holding them is waited for), then read again, which
    // sees what that run committed (READ COMMITTED). SQLite has one writer.
    const seen = await candidates();
    const seenRows = [...seen.unearned, ...seen.decided];
    await tx.ledger.lockMonths(
      seenRows.map((r) => ({ affiliateId: r.affiliateId!, programId: r.programId! })),
    );
    const read = seenRows.length ? await candidates() : seen;
    const found = [...read.unearned, ...read.decided];
    if (found.length > MAX_RECALCULATED)
      throw new PostwireError(
        "invalid_field",
        `More than ${MAX_RECALCULATED} conversions to recalculate in this range: recalculate a shorter one.`,
        "to",
      );
    const paid = await recalc.paidPeriods(
      found.map((r) => ({ affiliateId: r.affiliateId!, period: periodOf(r.occurredAt) })),
    );
    const inPaid = (r: ConversionRow) => paid.has(`${r.affiliateId}:${periodOf(r.occurredAt)}`);
    const chosen = request.includePaidPeriods ? found : found.filter((r) => !inPaid(r));
    const stamp = { recalculation_id: id };
    const unearned = new Set(read.unearned.map((r) => r.id));
    // Replan: the stale decisions compensated first, their qualifications released.
    const replaced = replan
      ? await replaceStaleDecisions(
          tx,
          chosen.filter((r) => !unearned.has(r.id)),
          deps.commissions,
          stamp,
        )
      : { rows: [], entries: [] };
    const replacedReversals = await recalc.reversalsOf(replaced.rows.map((r) => r.id));
    const decide = [
      ...new Map(
        [...chosen.filter((r) => unearned.has(r.id)), ...replaced.rows, ...replacedReversals].map((r) => [
          r.id,
          r,
        ]),
      ).values(),
    ];
    // What the affiliates were paid before the run, for the messages' `{total_payout}`: read now,
    // less the compensations just written.
    const before = await recalc.ownTotals(decide.map((r) => ({ id: r.id, affiliateId: r.affiliateId! })));
    for (const [conversionId, payouts] of ownPayouts(replaced.entries, decide))
      for (const p of payouts) before.set(conversionId, (before.get(conversionId) ?? 0) - p.amountMinor);
    const none = new Map<string, number>();
    // Originals first: a reversal compensates entries recorded before it is decided.
    const written = [
      ...replaced.entries,
      ...(await writeCommissions(
        tx,
        decide.filter((r) => r.reversesId === null),
        deps.commissions,
        none,
        stamp,
      )),
      ...(await writeCommissions(
        tx,
        decide.filter((r) => r.reversesId !== null),
        deps.commissions,
        none,
        stamp,
      )),
    ];
    const messages = await forwardRecalculation(deps, tx.outbox, id, decide, written, before);
    const result: RecalculationResult = {
      id,
      programId: request.programId,
      from: request.from,
      to: request.to,
      includePaidPeriods: request.includePaidPeriods,
      mode: request.mode,
      conversions: new Set(written.map((e) => e.conversionId)).size,
      entries: written.length,
      replaced: replaced.rows.length,
      skippedPaid: found.length - chosen.length,
      totals: totalsOf(written),
      createdByKeyId: principal === COMMAND_LINE_ADMIN ? null : principal.keyId,
      createdAt: deps.clock.now(),
      preview: request.preview,
      written,
      messages,
    };
    if (!request.preview) await recalc.record(result);
    return result;
  };
  const { recalculations } = deps.store;
  return request.preview ? dryRun((work) => recalculations.run(work), run) : recalculations.run(run);
}

/** A program's recalculations, newest first (admin). */
export async function listRecalculations(
  deps: Pick<RecalculationDeps, "store">,
  principal: Principal,
  programId: number,
): Promise<Recalculation[]> {
  allowRoles(principal, "admin");
  if (!(await deps.store.programs.get(programId))) throw notFound("Program", programId);
  return deps.store.recalculations.list(programId);
}
