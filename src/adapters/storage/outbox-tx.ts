/** The outbox reads and writes of an ingest transaction (`OutboxTx`) over SQL. */
import type { OutboxTx } from "../../app/delivery/outbox-port.ts";
import type { ClickRow, ConversionRow } from "../../app/records.ts";
import { endpointFromRow } from "./delivery-rows.ts";
import { selectIn } from "./ledger-tx.ts";
import { insertMessages } from "./outbox-insert.ts";
import { clickFromRow, conversionFromRow } from "./record-rows.ts";
import type { SqlExecutor } from "./sql-driver.ts";

/** `writes`: where the outbox insert goes (the ingest's held writes ride with it: held-writes.ts). */
export function outboxTx(db: SqlExecutor, writes: SqlExecutor = db): OutboxTx {
  return {
    async endpointsOf(affiliateIds) {
      const rows = await selectIn(
        db,
        "SELECT * FROM endpoints WHERE status = 'active' AND affiliate_id IN (?) ORDER BY id",
        affiliateIds,
      );
      return rows.map(endpointFromRow);
    },
    async clicks(clickIds) {
      const rows = await selectIn(db, "SELECT * FROM clicks WHERE click_id IN (?)", clickIds);
      return new Map<string, ClickRow>(rows.map((row) => [String(row["click_id"]), clickFromRow(row)]));
    },
    async conversions(ids) {
      const rows = await selectIn(db, "SELECT * FROM conversions WHERE id IN (?)", ids);
      return new Map<string, ConversionRow>(rows.map((row) => [String(row["id"]), conversionFromRow(row)]));
    },
    async enqueue(rows, now) {
      if (!rows.length) return;
      // Key order, like the conversions: concurrent batches never wait on each other in a cycle.
      const ordered = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      await insertMessages(writes, ordered, now);
    },
  };
}
