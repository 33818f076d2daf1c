/** Ledger entries written straight into the table, for tests that need many (exports, plans). */
import type { SqlExecutor } from "../../src/adapters/storage/sql-driver.ts";

export interface RawEntry {
  readonly id: string;
  readonly conversionId: string;
  readonly operatorId: number;
  readonly programId: number;
  readonly affiliateId: number;
  readonly status: string;
  readonly amountMinor: number;
  readonly period: string;
  readonly explain?: string;
  readonly at: number;
  readonly approveAt: number;
}

/** Commission CPA entries in EUR (the running totals are not touched). */
export async function insertRawEntries(db: SqlExecutor, entries: readonly RawEntry[]): Promise<void> {
  await db.insertMany(
    "ledger_entries",
    [
      "id",
      "conversion_id",
      "operator_id",
      "program_id",
      "affiliate_id",
      "kind",
      "component",
      "status",
      "amount_minor",
      "currency",
      "period",
      "explain",
      "occurred_at",
      "created_at",
      "approve_at",
    ],
    entries.map((e) => [
      e.id,
      e.conversionId,
      e.operatorId,
      e.programId,
      e.affiliateId,
      "commission",
      "cpa",
      e.status,
      e.amountMinor,
      "EUR",
      e.period,
      e.explain ?? "{}",
      e.at,
      e.at,
      e.approveAt,
    ]),
  );
}
