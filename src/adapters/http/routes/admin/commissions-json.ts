/** Wire shapes of the commission API: JSON schemas, snake_case records and the CSV export. */
import type { PayoutRow } from "../../../../app/commissions/commission-store-port.ts";
import type { LedgerEntry, PlanVersion, RateVersion } from "../../../../app/commissions/ledger-port.ts";
import { ID, iso, isoOrNull, nullable, record, TIME } from "./schemas.ts";

const INT = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const BPS = { type: "integer", minimum: 0, maximum: 100_000 } as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  properties,
  required,
});

const QUALIFICATION = {
  oneOf: [
    obj({ kind: { const: "ftd" }, minDepositMinor: INT, cumulativeHours: INT }, ["kind", "minDepositMinor"]),
    obj({ kind: { const: "qualified_trader" }, minLotsMilli: INT, withinDays: INT, minDepositMinor: INT }, [
      "kind",
      "minLotsMilli",
      "withinDays",
    ]),
    obj(
      {
        kind: { const: "challenge" },
        minPriceMinor: INT,
        alsoEvents: { type: "array", items: { type: "string" } },
      },
      ["kind", "minPriceMinor"],
    ),
  ],
};

/** Plan terms: the components of domain/commissions/terms.ts. */
export const TERMS = obj({
  cpa: obj(
    {
      amountMinor: INT,
      qualification: QUALIFICATION,
      clawbackDays: INT,
      tiers: {
        type: "array",
        maxItems: 50,
        items: obj({ fromCount: INT, amountMinor: INT }, ["fromCount", "amountMinor"]),
      },
    },
    ["amountMinor", "qualification", "clawbackDays"],
  ),
  revshare: obj({ bps: BPS, negativeCarryOver: { type: "boolean" } }, ["bps", "negativeCarryOver"]),
  lotRebate: obj({ perLotMinor: INT, groups: { type: "object", additionalProperties: INT } }, [
    "perLotMinor",
  ]),
  percentOfSale: obj(
    { bps: BPS, events: { type: "array", items: { type: "string" } }, refundWindowDays: INT },
    ["bps", "events", "refundWindowDays"],
  ),
  cap: obj({ cpaCount: INT, amountMinor: INT }),
  holdDays: INT,
  parentOverrideBps: BPS,
});

export const PLAN = record({
  id: ID,
  program_id: ID,
  affiliate_id: nullable(ID),
  effective_from: TIME,
  terms: { type: "object", additionalProperties: true },
  note: nullable({ type: "string" }),
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

export const RATE = record({
  id: ID,
  base: { type: "string" },
  quote: { type: "string" },
  rate: { type: "string" },
  effective_from: TIME,
});
export const rateJson = (r: RateVersion & { id: number }) => ({
  id: r.id,
  base: r.base,
  quote: r.quote,
  rate: r.rate,
  effective_from: iso(r.effectiveFrom),
});

const S = { type: "string" };
const N = { type: "integer" };
export const ENTRY = record({
  id: S,
  conversion_id: S,
  program_id: ID,
  affiliate_id: ID,
  kind: S,
  component: S,
  status: S,
  amount_minor: N,
  currency: S,
  source_amount_minor: nullable(N),
  source_currency: nullable(S),
  fx_rate: nullable(S),
  reason: nullable(S),
  reverses_entry_id: nullable(S),
  period: S,
  explanation: S,
  explain: { type: "object", additionalProperties: true },
  occurred_at: TIME,
  created_at: TIME,
  approve_at: TIME,
  approved_at: nullable(TIME),
  paid_at: nullable(TIME),
  payout_id: nullable(S),
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

export const PAYOUT = record({
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

/** RFC 4180: quoted when needed; a leading = + - @ is prefixed with ' so spreadsheets do not run it. */
function cell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@]/.test(text) && Number.isNaN(Number(text))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line. */
export const ENTRIES_CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** Entries as CSV lines (no header): one export is the header and then every page of these. */
export function entriesCsvLines(entries: readonly LedgerEntry[]): string {
  // Straight from the entry, in CSV_COLUMNS order (no wire object per row: exports are long).
  let out = "";
  for (const e of entries) {
    out += `${[
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
      e.explain["text"] ?? "",
    ]
      .map(cell)
      .join(",")}\r\n`;
  }
  return out;
}
