/**
 * Checks the running totals (month_usage, ledger_balances, report_commissions) against a recount of the raw rows
 * (src/adapters/storage/ledger-writes.ts): equal row for row, zero rows aside.
 */
import assert from "node:assert/strict";
import { RECOUNT } from "../../src/adapters/storage/ledger-writes.ts";
import { openDriver } from "../../src/adapters/storage/open-driver.ts";
import type { SqlRow } from "../../src/adapters/storage/sql-driver.ts";

const KEYS = {
  usage: ["affiliate_id", "program_id", "period"],
  balances: ["affiliate_id", "program_id", "period", "currency", "status"],
  commissions: ["affiliate_id", "program_id", "bucket_at", "currency", "status"],
} as const;

/** Rows as sorted lines of text, numbers normalised (pg returns sums as strings), all-zero rows out. */
function lines(rows: readonly SqlRow[], keys: readonly string[]): string[] {
  return rows
    .map((r) => {
      const values = Object.keys(r)
        .filter((k) => !keys.includes(k))
        .sort()
        .map((k) => `${k}=${Number(r[k])}`);
      return { key: keys.map((k) => String(r[k])).join("|"), values };
    })
    .filter((r) => r.values.some((v) => !v.endsWith("=0")))
    .map((r) => `${r.key} ${r.values.join(" ")}`)
    .sort();
}

export async function assertTotalsMatchRecount(databaseUrl: string): Promise<void> {
  const db = openDriver(databaseUrl);
  try {
    for (const [name, table] of [
      ["usage", "month_usage"],
      ["balances", "ledger_balances"],
      ["commissions", "report_commissions"],
    ] as const) {
      const stored = lines(await db.all(`SELECT * FROM ${table}`), KEYS[name]);
      const recounted = lines(await db.all(RECOUNT[name]), KEYS[name]);
      assert.deepEqual(stored, recounted, `${table} equals a recount of the raw rows`);
    }
  } finally {
    await db.close();
  }
}
