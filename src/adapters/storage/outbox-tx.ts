/** The outbox writes of an ingest transaction (`OutboxTx`) over SQL. */
import type { OutboxTx } from "../../app/delivery/outbox-port.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export function outboxTx(_db: SqlExecutor, _engine: "sqlite" | "postgres"): OutboxTx {
  return {};
}
