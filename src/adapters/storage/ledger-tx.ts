/** The ledger reads and writes of an ingest transaction (`LedgerTx`) over SQL. */
import type { LedgerTx } from "../../app/commissions/ledger-port.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export function ledgerTx(_db: SqlExecutor, _engine: "sqlite" | "postgres"): LedgerTx {
  return {};
}
