/** The outbox reads and writes of an ingest transaction (`OutboxTx`) over SQL. */
import type { OutboxTx } from "../../app/delivery/outbox-port.ts";
import type { ClickRow, ConversionRow } from "../../app/ports.ts";
import { endpointFromRow } from "./delivery-rows.ts";
import { insertMessages } from "./outbox-insert.ts";
import { clickFromRow, conversionFromRow } from "./record-rows.ts";
import type { SqlExecutor, SqlRow, SqlValue } from "./sql-driver.ts";

const CHUNK = 500;
const marks = (count: number): string => new Array(count).fill("?").join(", ");

/** `SELECT * FROM table WHERE column IN (…)` in chunks, duplicates dropped. */
async function selectIn(db: SqlExecutor, sql: string, values: readonly SqlValue[]): Promise<SqlRow[]> {
  const unique = [...new Set(values)];
  const rows: SqlRow[] = [];
  for (let start = 0; start < unique.length; start += CHUNK) {
    const part = unique.slice(start, start + CHUNK);
    rows.push(...(await db.all(sql.replace("(?)", `(${marks(part.length)})`), part)));
  }
  return rows;
}

export function outboxTx(db: SqlExecutor, _engine: "sqlite" | "postgres"): OutboxTx {
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
      await insertMessages(db, ordered, now);
    },
  };
}
