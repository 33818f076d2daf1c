/** Manual adjustments over SQL: the decision row and its ledger entries, written in one transaction. */
import type { Adjustment, CommissionStore } from "../../app/commissions/commission-store-port.ts";
import { ENTRY_COLUMNS, entryValues } from "./commissions-rows.ts";
import { ledgerTx } from "./ledger-tx.ts";
import type { SqlDriver, SqlRow } from "./sql-driver.ts";

const COLUMNS = [
  "id",
  "conversion_id",
  "action",
  "reason_code",
  "note",
  "amount_minor",
  "currency",
  "entries",
  "created_by_key_id",
  "created_at",
] as const;

const adjustmentFromRow = (r: SqlRow): Adjustment => ({
  id: String(r["id"]),
  conversionId: String(r["conversion_id"]),
  action: String(r["action"]) as Adjustment["action"],
  reasonCode: String(r["reason_code"]) as Adjustment["reasonCode"],
  note: r["note"] === null ? null : String(r["note"]),
  amountMinor: Number(r["amount_minor"]),
  currency: String(r["currency"]),
  entries: Number(r["entries"]),
  createdByKeyId: r["created_by_key_id"] === null ? null : Number(r["created_by_key_id"]),
  createdAt: Number(r["created_at"]),
});

export function adjustmentStore(
  db: SqlDriver,
): Pick<CommissionStore, "adjustConversion" | "listAdjustments"> {
  return {
    adjustConversion(conversionId, decide) {
      return db.transaction(async (tx) => {
        // entriesOf locks the entries (PostgreSQL): a concurrent reject or reversal waits, then sees this one.
        const open = await ledgerTx(tx, db.engine).entriesOf([conversionId]);
        const result = decide(open);
        const a = result.adjustment;
        await tx.insertMany("commission_adjustments", COLUMNS, [
          [
            a.id,
            a.conversionId,
            a.action,
            a.reasonCode,
            a.note,
            a.amountMinor,
            a.currency,
            a.entries,
            a.createdByKeyId,
            a.createdAt,
          ],
        ]);
        if (result.entries.length)
          await tx.insertMany("ledger_entries", ENTRY_COLUMNS, result.entries.map(entryValues));
        return result;
      });
    },
    async listAdjustments(conversionId) {
      const rows = await db.all(
        "SELECT * FROM commission_adjustments WHERE conversion_id = ? ORDER BY created_at, id",
        [conversionId],
      );
      return rows.map(adjustmentFromRow);
    },
  };
}
