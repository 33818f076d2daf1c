/**
 * Every write to the ledger goes through here, so the running totals beside it stay exact:
 * `month_usage` (what caps, tiers and revshare floors read on the ingest path),
 * `ledger_balances` (balances by affiliate, program, period, currency and status) and
 * `report_commissions` (the same by 15-minute bucket of the event's time, for reports:
 * 012_rollups.sql). All change in
 * the transaction that writes the rows they sum, by upserts that add deltas (`x = x + excluded.x`),
 * so concurrent PostgreSQL transactions never lose each other's increments; each upsert lists its
 * keys in sorted order, so two of them never wait on each other's rows in a cycle.
 *
 * Lock order on PostgreSQL: a writer locks the ledger rows it changes before the totals rows
 * (writeLedger inserts first; the hold job and payouts update their entries, then move balances
 * once), so a reversal and the hold job touching the same entries wait rather than deadlock.
 *
 * The totals mean what the sums in 009_totals_and_indexes.sql compute from the raw rows
 * (`RECOUNT`); the ledger property tests and the adjustments test check them against that recount
 * (test/helpers/totals.ts) after mixed loads, including races on PostgreSQL.
 */
import type { LedgerEntry, Qualification } from "../../app/commissions/ledger-port.ts";
import { ENTRY_COLUMNS, entryValues } from "./commissions-rows.ts";
import type { InsertPart, SqlExecutor, SqlRow, SqlValue } from "./sql-driver.ts";

const USAGE_KEY = ["affiliate_id", "program_id", "period"] as const;
const USAGE_SUMS = ["qualified", "paid_cpa", "paid_minor", "revshare_minor"] as const;
const BALANCE_KEY = ["affiliate_id", "program_id", "period", "currency", "status"] as const;
const REPORT_KEY = ["affiliate_id", "program_id", "bucket_at", "currency", "status"] as const;
/** Reports sum commissions by 15-minute bucket of the event's time (012_rollups.sql). */
export const REPORT_BUCKET_MS = 900_000;

type Totals = Map<string, { key: SqlValue[]; sums: number[] }>;

function add(totals: Totals, key: SqlValue[], sums: readonly number[]): void {
  const id = key.join("\u0000");
  const found = totals.get(id);
  if (!found) totals.set(id, { key, sums: [...sums] });
  else for (const [i, value] of sums.entries()) found.sums[i]! += value;
}

/** Rows for an upsert, in key order; rows that add nothing are left out. */
function rowsOf(totals: Totals): SqlValue[][] {
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .filter(([, t]) => t.sums.some((v) => v !== 0))
    .map(([, t]) => [...t.key, ...t.sums]);
}

/**
 * How entries and qualifications change month usage. Revshare counts commissions and their
 * clawbacks: reversals compensate only what the rules wrote (never floors, reverse-batch.ts), so a
 * clawback here never reverses a floor; the recount still leaves out such rows of older data.
 */
export function usageDeltas(
  qualifications: readonly Qualification[],
  entries: readonly LedgerEntry[],
): SqlValue[][] {
  const totals: Totals = new Map();
  for (const q of qualifications)
    add(totals, [q.affiliateId, q.programId, q.period], [1, q.paid ? 1 : 0, 0, 0]);
  for (const e of entries) {
    if (e.kind !== "commission" && e.kind !== "clawback") continue;
    const paid = e.kind === "commission" && e.amountMinor > 0 ? e.amountMinor : 0;
    const revshare = e.component === "revshare" ? e.amountMinor : 0;
    add(totals, [e.affiliateId, e.programId, e.period], [0, 0, paid, revshare]);
  }
  return rowsOf(totals);
}

interface AmountMove {
  readonly affiliateId: number;
  readonly programId: number;
  readonly period: string;
  readonly currency: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly occurredAt: number;
}

/** Amounts by balance key and status. */
export function balanceDeltas(moves: readonly AmountMove[]): SqlValue[][] {
  const totals: Totals = new Map();
  for (const m of moves)
    add(totals, [m.affiliateId, m.programId, m.period, m.currency, m.status], [m.amountMinor]);
  return rowsOf(totals);
}

/** Amounts by affiliate, program, 15-minute bucket of the event's time, currency and status. */
export function reportDeltas(moves: readonly AmountMove[]): SqlValue[][] {
  const totals: Totals = new Map();
  for (const m of moves) {
    const bucket = m.occurredAt - (m.occurredAt % REPORT_BUCKET_MS);
    add(totals, [m.affiliateId, m.programId, bucket, m.currency, m.status], [m.amountMinor]);
  }
  return rowsOf(totals);
}

const usagePart = (rows: SqlValue[][]): InsertPart => ({
  table: "month_usage",
  columns: [...USAGE_KEY, ...USAGE_SUMS],
  rows,
  addOnConflict: { key: USAGE_KEY.join(", "), columns: USAGE_SUMS },
});

const balancesPart = (rows: SqlValue[][]): InsertPart => ({
  table: "ledger_balances",
  columns: [...BALANCE_KEY, "amount_minor"],
  rows,
  addOnConflict: { key: BALANCE_KEY.join(", "), columns: ["amount_minor"] },
});

const reportPart = (rows: SqlValue[][]): InsertPart => ({
  table: "report_commissions",
  columns: [...REPORT_KEY, "amount_minor"],
  rows,
  addOnConflict: { key: REPORT_KEY.join(", "), columns: ["amount_minor"] },
});

/**
 * The parts of a ledger write (insertAll): qualifications (those whose player key is free, their
 * `conversion_id`s returned), ledger entries and their totals.
 */
export function ledgerParts(written: {
  readonly qualifications?: readonly Qualification[];
  readonly entries: readonly LedgerEntry[];
}): InsertPart[] {
  const qualifications = written.qualifications ?? [];
  const ordered = [...qualifications].sort((a, b) => {
    const x = `${a.programId}:${a.operatorId}:${a.playerKey}`;
    const y = `${b.programId}:${b.operatorId}:${b.playerKey}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return [
    {
      table: "cpa_qualifications",
      columns: QUALIFICATION_COLUMNS,
      rows: ordered.map((q) => [
        q.programId,
        q.operatorId,
        q.playerKey,
        q.affiliateId,
        q.conversionId,
        q.period,
        q.paid ? 1 : 0,
        q.qualifiedAt,
      ]),
      ignoreConflicts: "program_id, operator_id, player_key",
      returning: "conversion_id",
    },
    { table: "ledger_entries", columns: ENTRY_COLUMNS, rows: written.entries.map(entryValues) },
    usagePart(usageDeltas(ordered, written.entries)),
    balancesPart(balanceDeltas(written.entries)),
    reportPart(reportDeltas(written.entries)),
  ];
}

/**
 * Writes qualifications (those whose player key is free), ledger entries and their totals, in one
 * statement on PostgreSQL. Returns how many qualifications went in: fewer than given means a
 * concurrent batch qualified a player first, and the caller must roll back (the totals here
 * counted every one).
 */
export async function writeLedger(
  db: SqlExecutor,
  written: { readonly qualifications?: readonly Qualification[]; readonly entries: readonly LedgerEntry[] },
): Promise<number> {
  const [inserted] = await db.insertAll(ledgerParts(written));
  return inserted!.length;
}

/**
 * Takes what these deleted qualification rows (affiliate_id, program_id, period, paid) counted out
 * of month usage, in the caller's transaction (LedgerTx.releaseQualifications).
 */
export async function releaseUsage(db: SqlExecutor, released: readonly SqlRow[]): Promise<void> {
  const totals: Totals = new Map();
  for (const r of released)
    add(
      totals,
      [Number(r["affiliate_id"]), Number(r["program_id"]), String(r["period"])],
      [-1, Number(r["paid"]) === 1 ? -1 : 0, 0, 0],
    );
  const rows = rowsOf(totals);
  if (rows.length) await db.insertAll([usagePart(rows)]);
}

const QUALIFICATION_COLUMNS = [
  "program_id",
  "operator_id",
  "player_key",
  "affiliate_id",
  "conversion_id",
  "period",
  "paid",
  "qualified_at",
];

/** Entries that changed status, as an `UPDATE … RETURNING ${MOVED_COLUMNS}` gave them. */
export interface StatusMove {
  readonly rows: readonly SqlRow[];
  readonly from: string;
  readonly to: string;
}

/** Moves entries that changed status in the balances: each row leaves `from` and joins `to`. */
export async function moveBalances(db: SqlExecutor, moves: readonly StatusMove[]): Promise<void> {
  const deltas = moves.flatMap(({ rows, from, to }) =>
    rows.flatMap((r) => {
      const base = {
        affiliateId: Number(r["affiliate_id"]),
        programId: Number(r["program_id"]),
        period: String(r["period"]),
        currency: String(r["currency"]),
        amountMinor: Number(r["amount_minor"]),
        occurredAt: Number(r["occurred_at"]),
      };
      return [
        { ...base, status: from, amountMinor: -base.amountMinor },
        { ...base, status: to },
      ];
    }),
  );
  if (deltas.length)
    await db.insertAll([balancesPart(balanceDeltas(deltas)), reportPart(reportDeltas(deltas))]);
}

/** The columns an `UPDATE ledger_entries … RETURNING` gives moveBalances. */
export const MOVED_COLUMNS = "affiliate_id, program_id, period, currency, amount_minor, occurred_at";

/** The totals recounted from the raw rows, in the tables' column order (tests and seeding). */
export const RECOUNT = {
  usage: `SELECT affiliate_id, program_id, period, SUM(qualified) AS qualified, SUM(paid_cpa) AS paid_cpa,
      SUM(paid_minor) AS paid_minor, SUM(revshare_minor) AS revshare_minor
    FROM (
      SELECT affiliate_id, program_id, period, COUNT(*) AS qualified, SUM(paid) AS paid_cpa, 0 AS paid_minor,
        0 AS revshare_minor
      FROM cpa_qualifications GROUP BY affiliate_id, program_id, period
      UNION ALL
      SELECT affiliate_id, program_id, period, 0, 0,
        SUM(CASE WHEN kind = 'commission' AND amount_minor > 0 THEN amount_minor ELSE 0 END),
        SUM(CASE WHEN component = 'revshare' AND (kind = 'commission' OR NOT EXISTS (SELECT 1 FROM ledger_entries f
          WHERE f.id = e.reverses_entry_id AND f.kind = 'floor')) THEN amount_minor ELSE 0 END)
      FROM ledger_entries e WHERE kind IN ('commission', 'clawback') GROUP BY affiliate_id, program_id, period
    ) u
    GROUP BY affiliate_id, program_id, period`,
  balances: `SELECT affiliate_id, program_id, period, currency, status, SUM(amount_minor) AS amount_minor
    FROM ledger_entries GROUP BY affiliate_id, program_id, period, currency, status`,
  commissions: `SELECT affiliate_id, program_id, occurred_at - occurred_at % ${REPORT_BUCKET_MS} AS bucket_at, currency,
      status, SUM(amount_minor) AS amount_minor
    FROM ledger_entries GROUP BY affiliate_id, program_id, occurred_at - occurred_at % ${REPORT_BUCKET_MS}, currency, status`,
} as const;

/** Recomputes the totals from the raw rows (after rows were written around this module: seeding). */
export async function rebuildTotals(db: SqlExecutor): Promise<void> {
  await db.run("DELETE FROM month_usage");
  await db.run(`INSERT INTO month_usage (${[...USAGE_KEY, ...USAGE_SUMS].join(", ")}) ${RECOUNT.usage}`);
  await db.run("DELETE FROM ledger_balances");
  await db.run(
    `INSERT INTO ledger_balances (${[...BALANCE_KEY, "amount_minor"].join(", ")}) ${RECOUNT.balances}`,
  );
  await db.run("DELETE FROM report_commissions");
  await db.run(
    `INSERT INTO report_commissions (${[...REPORT_KEY, "amount_minor"].join(", ")}) ${RECOUNT.commissions}`,
  );
}
