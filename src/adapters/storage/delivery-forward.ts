/**
 * The delivery-store operations outside the claim loop: finding approvals not yet forwarded (the
 * approval forwarder, docs/outbound.md), writing messages outside ingest, and retention. Both
 * engines; the unique outbox key (outbox-insert.ts) makes every write idempotent, so
 * several processes may forward the same approval at once and only one message is kept.
 */
import type { ApprovalToForward, DeliveryStore } from "../../app/delivery/delivery-store-port.ts";
import { outboxTx } from "./outbox-tx.ts";
import { marks, type SqlDriver } from "./sql-driver.ts";

/** The affiliate's own lines count (as in the ingest effect): not its parent's overrides. */
const OWN_APPROVED =
  "e.status IN ('approved', 'paid') AND e.kind NOT IN ('override', 'adjustment') AND e.affiliate_id = c.affiliate_id";

/** (endpoint, conversion) pairs in cursor order; an endpoint gets approvals from its creation on. */
const CANDIDATES = `SELECT ep.id AS endpoint_id, c.id AS conversion_id, MAX(e.approved_at) AS approved_at
  FROM ledger_entries e
  JOIN conversions c ON c.id = e.conversion_id
  JOIN endpoints ep ON ep.affiliate_id = c.affiliate_id
  WHERE e.approved_at >= ? AND ${OWN_APPROVED} AND c.reverses_id IS NULL
    AND (c.test = 0 OR ep.include_test = 1)
    AND ep.status = 'active' AND ep.statuses LIKE '%"approved"%' AND ep.created_at <= e.approved_at
    AND NOT EXISTS (SELECT 1 FROM deliveries d
      WHERE d.endpoint_id = ep.id AND d.conversion_id = c.id AND d.status = 'approved')
  GROUP BY ep.id, c.id
  HAVING (MAX(e.approved_at), c.id, ep.id) > (?, ?, ?)
  ORDER BY MAX(e.approved_at), c.id, ep.id
  LIMIT ?`;

async function payoutsOf(db: SqlDriver, ids: readonly string[]) {
  const rows = await db.all(
    `SELECT c.id AS id, SUM(e.amount_minor) AS minor, MIN(e.currency) AS currency
     FROM ledger_entries e JOIN conversions c ON c.id = e.conversion_id
     WHERE c.id IN (${marks(ids.length)}) AND ${OWN_APPROVED} GROUP BY c.id`,
    ids,
  );
  return new Map(
    rows.map((r) => [String(r["id"]), { minor: Number(r["minor"]), currency: String(r["currency"]) }]),
  );
}

export function forwardOps(db: SqlDriver): Pick<DeliveryStore, "approvalsToForward" | "enqueue" | "prune"> {
  return {
    async approvalsToForward(after, limit) {
      const picked = await db.all(CANDIDATES, [
        after.approvedAt,
        after.approvedAt,
        after.conversionId,
        after.endpointId,
        limit,
      ]);
      if (!picked.length) return [];
      // The ingest transaction's readers: chunked, duplicates dropped.
      const records = outboxTx(db);
      const ids = [...new Set(picked.map((r) => String(r["conversion_id"])))];
      const conversions = await records.conversions(ids);
      const clicks = await records.clicks([...conversions.values()].flatMap((c) => c.clickId ?? []));
      const payouts = await payoutsOf(db, ids);
      return picked.map((r): ApprovalToForward => {
        const conversion = conversions.get(String(r["conversion_id"]))!;
        const payout = payouts.get(conversion.id);
        return {
          approvedAt: Number(r["approved_at"]),
          conversionId: conversion.id,
          endpointId: Number(r["endpoint_id"]),
          conversion,
          click: conversion.clickId ? clicks.get(conversion.clickId) : undefined,
          payoutMinor: payout?.minor ?? 0,
          currency: payout?.currency ?? conversion.currency ?? "",
        };
      });
    },
    async enqueue(rows, now) {
      if (!rows.length) return;
      // One transaction: one commit for the batch, not one per row.
      await db.transaction((tx) => outboxTx(tx).enqueue(rows, now));
    },
    async prune(before, chunk = 5000) {
      const size = Math.max(1, Math.floor(chunk));
      const removed = { attempts: 0, deliveries: 0 };
      // Bounded chunks, each its own short transaction, like store.prune.
      const steps: Array<[keyof typeof removed, string]> = [
        [
          "attempts",
          `DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts WHERE started_at < ? LIMIT ${size})`,
        ],
        [
          "deliveries",
          `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state = 'delivered' AND delivered_at < ? LIMIT ${size})`,
        ],
      ];
      for (const [name, sql] of steps) {
        for (;;) {
          const deleted = await db.run(sql, [before]);
          removed[name] += deleted;
          if (deleted < size) break;
        }
      }
      return removed;
    },
  };
}
