/** Row mapping for the commission tables (plans, rates, ledger entries). */
import type { LedgerEntry, PlanVersion, RateVersion } from "../../app/commissions/ledger-port.ts";
import { num, type SqlRow, type SqlValue, str } from "./sql-driver.ts";

export function planFromRow(row: SqlRow): PlanVersion {
  return {
    id: Number(row["id"]),
    programId: Number(row["program_id"]),
    affiliateId: num(row["affiliate_id"]),
    effectiveFrom: Number(row["effective_from"]),
    terms: JSON.parse(String(row["terms"])),
    note: str(row["note"]),
    createdAt: Number(row["created_at"]),
  };
}

export function rateFromRow(row: SqlRow): RateVersion & { id: number; createdAt: number } {
  return {
    id: Number(row["id"]),
    base: String(row["base"]),
    quote: String(row["quote"]),
    rate: String(row["rate"]),
    effectiveFrom: Number(row["effective_from"]),
    createdAt: Number(row["created_at"]),
  };
}

export const ENTRY_COLUMNS = [
  "id",
  "conversion_id",
  "operator_id",
  "program_id",
  "affiliate_id",
  "player_key",
  "kind",
  "component",
  "status",
  "amount_minor",
  "currency",
  "source_amount_minor",
  "source_currency",
  "fx_rate",
  "reason",
  "window_days",
  "reverses_entry_id",
  "period",
  "explain",
  "occurred_at",
  "created_at",
  "approve_at",
  "approved_at",
  "paid_at",
  "payout_id",
] as const;

export function entryValues(e: LedgerEntry): SqlValue[] {
  return [
    e.id,
    e.conversionId,
    e.operatorId,
    e.programId,
    e.affiliateId,
    e.playerKey,
    e.kind,
    e.component,
    e.status,
    e.amountMinor,
    e.currency,
    e.sourceAmountMinor,
    e.sourceCurrency,
    e.fxRate,
    e.reason,
    e.windowDays,
    e.reversesEntryId,
    e.period,
    JSON.stringify(e.explain),
    e.occurredAt,
    e.createdAt,
    e.approveAt,
    e.approvedAt,
    e.paidAt,
    e.payoutId,
  ];
}

export function entryFromRow(row: SqlRow): LedgerEntry {
  return {
    id: String(row["id"]),
    conversionId: String(row["conversion_id"]),
    operatorId: Number(row["operator_id"]),
    programId: Number(row["program_id"]),
    affiliateId: Number(row["affiliate_id"]),
    playerKey: str(row["player_key"]),
    kind: row["kind"] as LedgerEntry["kind"],
    component: String(row["component"]),
    status: row["status"] as LedgerEntry["status"],
    amountMinor: Number(row["amount_minor"]),
    currency: String(row["currency"]),
    sourceAmountMinor: num(row["source_amount_minor"]),
    sourceCurrency: str(row["source_currency"]),
    fxRate: str(row["fx_rate"]),
    reason: str(row["reason"]),
    windowDays: num(row["window_days"]),
    reversesEntryId: str(row["reverses_entry_id"]),
    period: String(row["period"]),
    explain: JSON.parse(String(row["explain"])),
    occurredAt: Number(row["occurred_at"]),
    createdAt: Number(row["created_at"]),
    approveAt: Number(row["approve_at"]),
    approvedAt: num(row["approved_at"]),
    paidAt: num(row["paid_at"]),
    payoutId: str(row["payout_id"]),
  };
}
