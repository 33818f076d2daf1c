/**
 * Writes outbox messages on both engines, skipping any already written: the outbox key is
 * (endpoint_id, conversion_id, status, adjustment_id), `adjustment_id` being '' for every message
 * but a forwarded manual adjustment (migration 006). The shared row mapping stays in delivery-rows.ts;
 * the key column is appended here.
 */
import type { NewDelivery } from "../../app/delivery/outbox-port.ts";
import { DELIVERY_COLUMNS, deliveryValues } from "./delivery-rows.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export const OUTBOX_KEY = "endpoint_id, conversion_id, status, adjustment_id";

export async function insertMessages(
  db: SqlExecutor,
  rows: readonly NewDelivery[],
  now: number,
): Promise<void> {
  if (!rows.length) return;
  await db.insertMany(
    "deliveries",
    [...DELIVERY_COLUMNS, "adjustment_id"],
    rows.map((row) => [...deliveryValues(row, now), row.adjustmentId ?? ""]),
    { ignoreConflicts: OUTBOX_KEY },
  );
}
