/**
 * The rollups of the append-only tables (012_rollups.sql) as deltas of one batch, written as parts
 * of the insert that writes the rows they count: on PostgreSQL in the same statement (no round
 * trip), on SQLite one statement per rollup per batch. Deltas are summed per key first, so a batch of
 * a few hundred postbacks adds to a handful of rollup rows; keys are sorted, so concurrent batches
 * lock rollup rows in one order. What they mean is ROLLUP_RECOUNT (rollups.ts), which the rollup
 * tests compare with.
 *
 * Report activity is appended to report_activity_delta instead (023_report_activity_delta.sql):
 * its hot rows were updated by every click batch, never heap-only (the sums are in covering
 * indexes), and PostgreSQL clicks ran at 92 % of the throughput without rollups; appended, the
 * click batch's statement costs what it costs without (bench/README.md, "Rollup cost through
 * HTTP"). A background job folds the deltas in.
 *
 * Slots (019_rollup_slots.sql): each writer adds to its own `slot` of a key, the lowest one no
 * write in flight in this process holds (RollupSlots), so batches that overlap on PostgreSQL's
 * pool never wait on each other's row lock of a hot key (this hour, this bucket) until COMMIT;
 * reads sum over the slots. Before slots, PostgreSQL ingest with rollups ran at 84 % of without:
 * the second of two overlapping batches waited at its first insert for the first batch's COMMIT,
 * four round trips later (bench/README.md, "Rollup cost and reports at 10 M").
 *
 * Measured (bench/ingest-core.ts --rollups both, full pipeline, 2 shared cores): row triggers
 * doing the same cost SQLite about 10 µs CPU per postback (87 % of the throughput without
 * rollups); these parts cost 2.5 µs (throughput within the noise of without). PostgreSQL: 84 %
 * with these parts, against 79 % with statement-level triggers. The caller rolls back a batch
 * whose conversions were not all inserted (a lost race: commit-postbacks.ts), as for the ledger's
 * totals.
 */
import type { ConversionRow, RequestLogRow } from "../../app/records.ts";
import { latencyBucketOf } from "../../domain/latency-histogram.ts";
import { HOUR_MS, REPORT_BUCKET_MS } from "./rollups.ts";
import type { InsertPart, SqlValue } from "./sql-driver.ts";

type Sums = Map<string, { key: SqlValue[]; sums: number[] }>;

function add(totals: Sums, key: SqlValue[], sums: readonly number[]): void {
  const id = key.join("\u0000");
  const found = totals.get(id);
  if (!found) totals.set(id, { key, sums: [...sums] });
  else for (const [i, value] of sums.entries()) found.sums[i]! += value;
}

const rowsOf = (totals: Sums): SqlValue[][] =>
  [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => [...t.key, ...t.sums]);

const POSTBACK_KEY = [
  "operator_id",
  "program_id",
  "hour_at",
  "outcome",
  "code",
  "latency_le_us",
  "slot",
] as const;
const ACTIVITY_KEY = ["affiliate_id", "program_id", "bucket_at", "event", "currency"] as const;

/**
 * The rollup slots taken by this process's writes in flight: each write takes the lowest free one
 * for its whole transaction (COMMIT included: the row locks last until then) and gives it back.
 * Two processes may take the same slot: they then wait on each other as before slots, no worse.
 */
export class RollupSlots {
  private readonly taken = new Set<number>();

  async with<T>(work: (slot: number) => Promise<T>): Promise<T> {
    let slot = 0;
    while (this.taken.has(slot)) slot++;
    this.taken.add(slot);
    try {
      return await work(slot);
    } finally {
      this.taken.delete(slot);
    }
  }
}

/**
 * Postback outcomes of logged requests, per operator × program × hour × outcome × code × latency:
 * the outcome and program each row was logged with (commit-postbacks.ts: a duplicate names its
 * original's program); an unattributed event counts under its reason, which its row logged.
 */
export function postbackRollupPart(logs: readonly RequestLogRow[], slot = 0): InsertPart {
  const totals: Sums = new Map();
  for (const log of logs) {
    const code = log.outcome === "unattributed" ? (log.reason ?? log.code) : log.code;
    const hour = log.receivedAt - (log.receivedAt % HOUR_MS);
    add(
      totals,
      [
        log.operatorId ?? 0,
        log.programId ?? 0,
        hour,
        log.outcome,
        code,
        latencyBucketOf(log.latencyUs),
        slot,
      ],
      [1],
    );
  }
  return {
    table: "postback_rollup",
    columns: [...POSTBACK_KEY, "count"],
    rows: rowsOf(totals),
    addOnConflict: { key: POSTBACK_KEY.join(", "), columns: ["count"] },
  };
}

/**
 * Report activity: attributed, non-test conversions and clicks per 15-minute bucket, appended to
 * report_activity_delta (023_report_activity_delta.sql: no conflict, no hot row), which
 * stats-store.ts foldActivity moves into report_activity.
 */
export function activityRollupPart(
  conversions: readonly ConversionRow[],
  clicks: ReadonlyArray<{ affiliateId: number; programId: number; createdAt: number }> = [],
): InsertPart {
  const totals: Sums = new Map();
  for (const c of conversions) {
    if (c.affiliateId === null || c.test) continue;
    const bucket = c.occurredAt - (c.occurredAt % REPORT_BUCKET_MS);
    add(
      totals,
      [c.affiliateId, c.programId ?? 0, bucket, c.event, c.currency ?? ""],
      [1, c.amountMinor ?? 0],
    );
  }
  for (const c of clicks) {
    const bucket = c.createdAt - (c.createdAt % REPORT_BUCKET_MS);
    add(totals, [c.affiliateId, c.programId, bucket, "click", ""], [1, 0]);
  }
  return {
    table: "report_activity_delta",
    columns: [...ACTIVITY_KEY, "count", "amount_minor"],
    rows: rowsOf(totals),
  };
}
