/**
 * `CommissionStore` over SQL: approval and payouts here, in bounded transactions; plans, rates,
 * parents and the ledger reports in commissions-reads.ts, adjustments in commissions-adjust.ts.
 * Settling stays hand-written: `status = 'pending'` is a literal there, as the partial due index
 * (ledger_entries_due) needs, and its updates share RETURNING columns with ledger-writes.ts.
 */
import type { CommissionStore, PayoutRow } from "../../app/commissions/commission-store-port.ts";
import { adjustmentStore } from "./commissions-adjust.ts";
import { commissionReads } from "./commissions-reads.ts";
import { dialectOf } from "./dialects.ts";
import { MOVED_COLUMNS, moveBalances } from "./ledger-writes.ts";
import { rowsOf } from "./query.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import { marks, type SqlDriver, type SqlExecutor, type SqlRow } from "./sql-driver.ts";

/** Due entries are settled this many at a time, each chunk its own short transaction. */
const APPROVE_CHUNK = 2000;

/**
 * Settles one chunk of due pending entries (oldest due first, from the pending-due index): originals fully compensated are
 * reversed together with their compensations (which share the original's approve_at:
 * compensationState), the others approved. Returns how many were looked at and what each became.
 * A chunk is bounded, so neither engine holds its write lock (nor SQLite the event loop) for long,
 * and the cost follows what is due, not what is pending.
 */
async function settleDueChunk(
  tx: SqlExecutor,
  now: number,
): Promise<{ due: number; approved: number; reversed: number }> {
  const due = (
    await tx.all(
      "SELECT id FROM ledger_entries WHERE status = 'pending' AND approve_at <= ? ORDER BY approve_at LIMIT ?",
      [now, APPROVE_CHUNK],
    )
  ).map((r) => r["id"]!);
  if (!due.length) return { due: 0, approved: 0, reversed: 0 };
  const ids = marks(due.length);
  const cancelled = (
    await tx.all(
      // The originals of the chunk: its entries, and those its compensations reverse (a chunk may
      // end between an original and its compensations: they share approve_at).
      `SELECT o.id FROM ledger_entries o JOIN ledger_entries c ON c.reverses_entry_id = o.id
       WHERE o.status = 'pending' AND o.id IN (SELECT COALESCE(reverses_entry_id, id) FROM ledger_entries WHERE id IN (${ids}))
       GROUP BY o.id, o.amount_minor HAVING o.amount_minor + SUM(c.amount_minor) = 0`,
      due,
    )
  ).map((r) => r["id"]!);
  let reversed: SqlRow[] = [];
  if (cancelled.length) {
    const list = marks(cancelled.length);
    reversed = await tx.all(
      `UPDATE ledger_entries SET status = 'reversed', approved_at = ?
       WHERE status = 'pending' AND approve_at <= ? AND (id IN (${list}) OR reverses_entry_id IN (${list}))
       RETURNING ${MOVED_COLUMNS}`,
      [now, now, ...cancelled, ...cancelled],
    );
  }
  const approved = await tx.all(
    `UPDATE ledger_entries SET status = 'approved', approved_at = ? WHERE status = 'pending' AND id IN (${ids})
     RETURNING ${MOVED_COLUMNS}`,
    [now, ...due],
  );
  // Entries first, then their balances, once (ledger-writes.ts: the lock order).
  await moveBalances(tx, [
    { rows: reversed, from: "pending", to: "reversed" },
    { rows: approved, from: "pending", to: "approved" },
  ]);
  return { due: due.length, approved: approved.length, reversed: reversed.length };
}

/**
 * Pays in one transaction exactly the entries it read: the approved rows are selected (locked on
 * PostgreSQL), totalled here, and marked by id, so an entry approved meanwhile can neither be
 * marked without being counted nor counted without being marked.
 */
async function payApproved(
  tx: SqlExecutor,
  dialect: SqlDialect,
  job: { period: string; affiliateId: number | undefined; now: number; newId: () => string },
): Promise<PayoutRow[]> {
  const approved = dialect.builder
    .selectFrom("ledger_entries")
    .select(["id", "affiliate_id", "currency", "amount_minor"])
    .where("status", "=", "approved")
    .where("period", "<=", job.period)
    .$if(job.affiliateId !== undefined, (q) => q.where("affiliate_id", "=", job.affiliateId!))
    .orderBy("id")
    .$if(dialect.forUpdate !== "", (q) => q.forUpdate());
  const rows = await rowsOf(tx, approved);
  const groups = new Map<string, { affiliateId: number; currency: string; total: number; ids: string[] }>();
  for (const r of rows) {
    const key = `${r["affiliate_id"]}:${r["currency"]}`;
    const g = groups.get(key) ?? {
      affiliateId: Number(r["affiliate_id"]),
      currency: String(r["currency"]),
      total: 0,
      ids: [],
    };
    g.total += Number(r["amount_minor"]);
    g.ids.push(String(r["id"]));
    groups.set(key, g);
  }
  const payouts: PayoutRow[] = [];
  const paid: SqlRow[] = [];
  for (const g of [...groups.values()].sort((a, b) => a.affiliateId - b.affiliateId)) {
    // A negative balance is not paid: it stays approved and carries into the next balance.
    if (g.total <= 0) continue;
    const p: PayoutRow = {
      id: job.newId(),
      affiliateId: g.affiliateId,
      period: job.period,
      amountMinor: g.total,
      currency: g.currency,
      entries: g.ids.length,
      createdAt: job.now,
    };
    await tx.insertMany(
      "payouts",
      ["id", "affiliate_id", "period", "amount_minor", "currency", "entries", "created_at"],
      [[p.id, p.affiliateId, p.period, p.amountMinor, p.currency, p.entries, p.createdAt]],
    );
    for (let i = 0; i < g.ids.length; i += 500) {
      const part = g.ids.slice(i, i + 500);
      paid.push(
        ...(await tx.all(
          `UPDATE ledger_entries SET status = 'paid', paid_at = ?, payout_id = ? WHERE status = 'approved' AND id IN (${part.map(() => "?").join(", ")}) RETURNING ${MOVED_COLUMNS}`,
          [job.now, p.id, ...part],
        )),
      );
    }
    payouts.push(p);
  }
  await moveBalances(tx, [{ rows: paid, from: "approved", to: "paid" }]);
  return payouts;
}

export function createCommissionStore(db: SqlDriver): CommissionStore {
  const dialect = dialectOf(db.engine);
  return {
    ...adjustmentStore(db),
    ...commissionReads(db, dialect.builder),
    async approveDue(now) {
      const total = { approved: 0, reversed: 0 };
      for (;;) {
        const chunk = await db.transaction((tx) => settleDueChunk(tx, now));
        total.approved += chunk.approved;
        total.reversed += chunk.reversed;
        if (chunk.due < APPROVE_CHUNK) return total;
      }
    },
    async markPaid(period, affiliateId, now, newId) {
      return db.transaction((tx) => payApproved(tx, dialect, { period, affiliateId, now, newId }));
    },
  };
}
