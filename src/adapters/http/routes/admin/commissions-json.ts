/** The commission API as it writes JSON: schemas, snake_case records and the CSV export. */

import Type from "typebox";
import type { PayoutRow } from "../../../../app/commissions/commission-store-port.ts";
import type { LedgerEntry, PlanVersion, RateVersion } from "../../../../app/commissions/ledger-port.ts";
import type { Terms } from "../../../../domain/commissions/terms.ts";
import { csvLine } from "../../csv.ts";
import { ID, iso, isoOrNull, Nullable, Strict, TIME } from "./schemas.ts";

const INT = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const BPS = Type.Integer({ minimum: 0, maximum: 100_000 });
const optional = Type.Optional;

/** oneOf, as before (the kinds exclude each other; Type.Union would write anyOf). */
const QUALIFICATION = Type.Unsafe({
  oneOf: [
    Strict({ kind: Type.Literal("ftd"), minDepositMinor: INT, cumulativeHours: optional(INT) }),
    Strict({
      kind: Type.Literal("qualified_trader"),
      minLotsMilli: INT,
      withinDays: INT,
      minDepositMinor: optional(INT),
    }),
    Strict({
      kind: Type.Literal("challenge"),
      minPriceMinor: INT,
      alsoEvents: optional(Type.Array(Type.String())),
    }),
  ],
});

/**
 * Plan terms: the components of domain/commissions/terms.ts. Typed as that module's Terms: the
 * schema states its shape for validation and the document, the domain type stays the one source.
 */
export const TERMS = Type.Unsafe<Terms>(
  Strict({
    cpa: optional(
      Strict({
        amountMinor: INT,
        qualification: QUALIFICATION,
        clawbackDays: INT,
        tiers: optional(Type.Array(Strict({ fromCount: INT, amountMinor: INT }), { maxItems: 50 })),
      }),
    ),
    revshare: optional(Strict({ bps: BPS, negativeCarryOver: Type.Boolean() })),
    lotRebate: optional(Strict({ perLotMinor: INT, groups: optional(Type.Record(Type.String(), INT)) })),
    percentOfSale: optional(Strict({ bps: BPS, events: Type.Array(Type.String()), refundWindowDays: INT })),
    cap: optional(Strict({ cpaCount: optional(INT), amountMinor: optional(INT) })),
    holdDays: optional(INT),
    parentOverrideBps: optional(BPS),
  }),
);

export const PLAN = Type.Object({
  id: ID,
  program_id: ID,
  affiliate_id: Nullable(ID),
  effective_from: TIME,
  terms: Type.Object({}, { additionalProperties: true }),
  note: Nullable(Type.String()),
  created_at: TIME,
});

export const planJson = (p: PlanVersion) => ({
  id: p.id,
  program_id: p.programId,
  affiliate_id: p.affiliateId,
  effective_from: iso(p.effectiveFrom),
  terms: p.terms,
  note: p.note,
  created_at: iso(p.createdAt),
});

export const RATE = Type.Object({
  id: ID,
  base: Type.String(),
  quote: Type.String(),
  rate: Type.String(),
  effective_from: TIME,
});
export const rateJson = (r: RateVersion & { id: number }) => ({
  id: r.id,
  base: r.base,
  quote: r.quote,
  rate: r.rate,
  effective_from: iso(r.effectiveFrom),
});

const S = Type.String();
const N = Type.Integer();
export const ENTRY = Type.Object({
  id: S,
  conversion_id: S,
  program_id: ID,
  affiliate_id: ID,
  kind: S,
  component: S,
  status: S,
  amount_minor: N,
  currency: S,
  source_amount_minor: Nullable(N),
  source_currency: Nullable(S),
  fx_rate: Nullable(S),
  reason: Nullable(S),
  reverses_entry_id: Nullable(S),
  period: S,
  explanation: S,
  explain: Type.Object({}, { additionalProperties: true }),
  occurred_at: TIME,
  created_at: TIME,
  approve_at: TIME,
  approved_at: Nullable(TIME),
  paid_at: Nullable(TIME),
  payout_id: Nullable(S),
});

export const entryJson = (e: LedgerEntry) => ({
  id: e.id,
  conversion_id: e.conversionId,
  program_id: e.programId,
  affiliate_id: e.affiliateId,
  kind: e.kind,
  component: e.component,
  status: e.status,
  amount_minor: e.amountMinor,
  currency: e.currency,
  source_amount_minor: e.sourceAmountMinor,
  source_currency: e.sourceCurrency,
  fx_rate: e.fxRate,
  reason: e.reason,
  reverses_entry_id: e.reversesEntryId,
  period: e.period,
  explanation: String(e.explain["text"] ?? ""),
  explain: e.explain,
  occurred_at: iso(e.occurredAt),
  created_at: iso(e.createdAt),
  approve_at: iso(e.approveAt),
  approved_at: isoOrNull(e.approvedAt),
  paid_at: isoOrNull(e.paidAt),
  payout_id: e.payoutId,
});

export const PAYOUT = Type.Object({
  id: S,
  affiliate_id: ID,
  period: S,
  amount_minor: N,
  currency: S,
  entries: N,
  created_at: TIME,
});

export const payoutJson = (p: PayoutRow) => ({
  id: p.id,
  affiliate_id: p.affiliateId,
  period: p.period,
  amount_minor: p.amountMinor,
  currency: p.currency,
  entries: p.entries,
  created_at: iso(p.createdAt),
});

const CSV_COLUMNS = [
  "id",
  "conversion_id",
  "program_id",
  "affiliate_id",
  "kind",
  "component",
  "status",
  "amount_minor",
  "currency",
  "source_amount_minor",
  "source_currency",
  "fx_rate",
  "reason",
  "period",
  "occurred_at",
  "explanation",
] as const;

/** The CSV header line. */
export const ENTRIES_CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** Entries as CSV lines (no header): one export is the header and then every page of these. */
export function entriesCsvLines(entries: readonly LedgerEntry[]): string {
  // Straight from the entry, in CSV_COLUMNS order (no wire object per row: exports are long).
  let out = "";
  for (const e of entries) {
    out += csvLine([
      e.id,
      e.conversionId,
      e.programId,
      e.affiliateId,
      e.kind,
      e.component,
      e.status,
      e.amountMinor,
      e.currency,
      e.sourceAmountMinor,
      e.sourceCurrency,
      e.fxRate,
      e.reason,
      e.period,
      iso(e.occurredAt),
      String(e.explain["text"] ?? ""),
    ]);
  }
  return out;
}
