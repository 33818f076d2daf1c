/**
 * Manual adjustments over SQL: the decision row, its ledger entries and the outbound messages
 * forwarding it (the caller's effect, over the outbox), written in one transaction. A request
 * retried with the same idempotency key finds the adjustment it made and writes nothing.
 */
import type { Kysely } from "kysely";
import type {
  Adjustment,
  AdjustOptions,
  CommissionStore,
  OpenEntry,
} from "../../app/commissions/commission-store-port.ts";
import type { LedgerEntry } from "../../app/commissions/ledger-port.ts";
import { entryFromRow } from "./commissions-rows.ts";
import type { Database } from "./database.ts";
import { dialectOf } from "./dialects.ts";
import { ledgerTx } from "./ledger-tx.ts";
import { writeLedger } from "./ledger-writes.ts";
import { outboxTx } from "./outbox-tx.ts";
import { firstOf, rowsOf } from "./query.ts";
import { type SqlDriver, type SqlExecutor, type SqlRow, UniqueViolationError } from "./sql-driver.ts";

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
  "idempotency_key",
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
  idempotencyKey:
    r["idempotency_key"] === null || r["idempotency_key"] === undefined ? null : String(r["idempotency_key"]),
});

/** The adjustment made earlier with this key, and its entries (found by explain.inputs.adjustment_id). */
async function madeWith(
  tx: SqlExecutor,
  builder: Kysely<Database>,
  made: { conversionId: string; key: string },
): Promise<{ adjustment: Adjustment; entries: LedgerEntry[] } | undefined> {
  const row = await firstOf(
    tx,
    builder
      .selectFrom("commission_adjustments")
      .selectAll()
      .where((eb) => eb.and({ conversion_id: made.conversionId, idempotency_key: made.key })),
  );
  if (!row) return undefined;
  const adjustment = adjustmentFromRow(row);
  const rows = await rowsOf(
    tx,
    builder
      .selectFrom("ledger_entries")
      .selectAll()
      .where((eb) => eb.and({ conversion_id: made.conversionId, kind: "adjustment" }))
      .orderBy("id"),
  );
  const entries = rows
    .map(entryFromRow)
    .filter(
      (e) =>
        (e.explain["inputs"] as Record<string, unknown> | undefined)?.["adjustment_id"] === adjustment.id,
    );
  return { adjustment, entries };
}

export function adjustmentStore(
  db: SqlDriver,
): Pick<CommissionStore, "adjustConversion" | "listAdjustments"> {
  const dialect = dialectOf(db.engine);
  const { builder } = dialect;
  const attempt = (
    conversionId: string,
    decide: (open: readonly OpenEntry[]) => { adjustment: Adjustment; entries: LedgerEntry[] },
    options: AdjustOptions,
  ) =>
    db.transaction(async (tx) => {
      // entriesOf locks the entries (PostgreSQL): a concurrent reject or reversal waits, then sees this one.
      const before = await ledgerTx(tx, dialect).entriesOf([conversionId]);
      const key = options.idempotencyKey ?? null;
      const earlier = key === null ? undefined : await madeWith(tx, builder, { conversionId, key });
      if (earlier) return { ...earlier, replayed: true };
      const result = decide(before);
      const a = { ...result.adjustment, idempotencyKey: key };
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
          a.idempotencyKey,
        ],
      ]);
      if (result.entries.length) await writeLedger(tx, { entries: result.entries });
      await options.effect?.(outboxTx(tx), { adjustment: a, entries: result.entries, before });
      return { adjustment: a, entries: result.entries, replayed: false };
    });
  return {
    async adjustConversion(conversionId, decide, options = {}) {
      try {
        return await attempt(conversionId, decide, options);
      } catch (error) {
        // Two requests with the same key at once, on a conversion with no entries to lock: the
        // loser's insert hits the key, nothing of it is kept, and a second try answers the winner's.
        if (!(error instanceof UniqueViolationError) || !options.idempotencyKey) throw error;
        return attempt(conversionId, decide, options);
      }
    },
    async listAdjustments(conversionId) {
      const rows = await rowsOf(
        db,
        builder
          .selectFrom("commission_adjustments")
          .selectAll()
          .where("conversion_id", "=", conversionId)
          .orderBy("created_at")
          .orderBy("id"),
      );
      return rows.map(adjustmentFromRow);
    },
  };
}
