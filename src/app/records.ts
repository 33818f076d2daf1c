/**
 * What the hot paths record, as the use cases see it: clicks, conversions, player bindings and
 * request-log rows (storage adapters map them to and from their tables). Timestamps are epoch
 * milliseconds.
 */
import { UNATTRIBUTED, type Unattributed } from "../domain/attribution.ts";
import type { RequestOutcome } from "../domain/request-outcome.ts";

export interface ClickRow {
  readonly clickId: string;
  readonly linkId: number;
  readonly affiliateId: number;
  readonly programId: number;
  readonly createdAt: number;
  readonly subs: readonly [string | null, string | null, string | null, string | null, string | null];
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly referer: string | null;
}

/** Why a conversion has no affiliate: kept for reconciliation (the domain's list, DESIGN §2). */
export const UNATTRIBUTED_REASONS = UNATTRIBUTED;
export type UnattributedReason = Unattributed;

export interface ConversionRow {
  readonly id: string;
  readonly operatorId: number;
  readonly txid: string;
  readonly contentHash: string;
  readonly event: string;
  readonly programId: number | null;
  readonly affiliateId: number | null;
  readonly linkId: number | null;
  readonly clickId: string | null;
  readonly playerId: string | null;
  readonly amountMinor: number | null;
  readonly currency: string | null;
  readonly lotsMilli: number | null;
  /** Id of the conversion this one reverses (refund, chargeback, reversal). */
  readonly reversesId: string | null;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly unattributedReason: UnattributedReason | null;
  readonly test: boolean;
  readonly subId: string | null;
  readonly extra: Readonly<Record<string, string>>;
  /** The JSON answer first given, replayed verbatim for a duplicate. */
  readonly response: string;
  /** The reconciliation run whose backfill wrote it (docs/reconciliation.md); absent: live. */
  readonly reconciliationId?: string | null;
}

export interface PlayerRow {
  readonly operatorId: number;
  readonly playerId: string;
  readonly clickId: string | null;
  readonly linkId: number;
  readonly affiliateId: number;
  readonly programId: number;
  readonly boundAt: number;
}

export interface RequestLogRow {
  readonly id: string;
  readonly receivedAt: number;
  readonly operatorId: number | null;
  readonly method: string;
  readonly path: string;
  readonly ip: string | null;
  readonly status: number;
  readonly code: string;
  readonly reason: string | null;
  readonly latencyUs: number;
  readonly txid: string | null;
  readonly conversionId: string | null;
  /** Method, query, selected headers and body as received, secrets redacted (JSON). */
  readonly raw: string;
  /** The program the request concerned, when known (migration 011). */
  readonly programId: number | null;
  readonly outcome: RequestOutcome;
  /** The JSON body answered (null for rows logged before migration 011). */
  readonly answer: string | null;
  /** The reconciliation run whose backfill made this request; absent: a live postback. */
  readonly reconciliationId?: string | null;
}

/**
 * Where a newest-first page of a time-ordered list starts: after the row with this time and id
 * (the last row of the previous page), so rows that share a time are neither repeated nor skipped.
 */
export interface TimeKey {
  readonly at: number;
  readonly id: string;
}
