/** The ledger reads and writes of an ingest transaction (`LedgerTx`) over SQL, in bulk per batch. */
import {
  type EarnReadsRequest,
  type HistoryEvent,
  type LedgerTx,
  playerKeyOf,
  type UsageKey,
  type UsageRow,
} from "../../app/commissions/ledger-port.ts";
import { entryFromRow, planFromRow, rateFromRow } from "./commissions-rows.ts";
import type { HeldWrites } from "./held-writes.ts";
import { ledgerParts, releaseUsage, writeLedger } from "./ledger-writes.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import { marks, type SqlExecutor, type SqlRow, type SqlValue } from "./sql-driver.ts";

const CHUNK = 400;

/** Runs `sql` (with one `(?)` list) over chunks of `values`, duplicates dropped; the outbox reads use it too. */
export async function selectIn(db: SqlExecutor, sql: string, values: readonly SqlValue[]): Promise<SqlRow[]> {
  const unique = [...new Set(values)];
  const rows: SqlRow[] = [];
  for (let start = 0; start < unique.length; start += CHUNK) {
    const part = unique.slice(start, start + CHUNK);
    rows.push(...(await db.all(sql.replace("(?)", `(${marks(part.length)})`), part)));
  }
  return rows;
}

/** `(a = ? AND b = ? …) OR …` over composite keys. */
async function selectKeys(
  db: SqlExecutor,
  sql: string,
  columns: readonly string[],
  keys: ReadonlyArray<readonly SqlValue[]>,
): Promise<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (let start = 0; start < keys.length; start += CHUNK) {
    const part = keys.slice(start, start + CHUNK);
    const one = `(${columns.map((c) => `${c} = ?`).join(" AND ")})`;
    rows.push(...(await db.all(sql.replace("{keys}", part.map(() => one).join(" OR ")), part.flat())));
  }
  return rows;
}

/**
 * `held`: where the ingest transaction holds its writes to send them with the next one (PostgreSQL);
 * without it, `recordLater` writes at once.
 */
export function ledgerTx(db: SqlExecutor, dialect: SqlDialect, held?: HeldWrites): LedgerTx {
  const ledger: LedgerTx = {
    async programs(programIds) {
      const rows = await selectIn(
        db,
        "SELECT id, currency, lookback_days FROM programs WHERE id IN (?)",
        programIds,
      );
      return new Map(
        rows.map((r) => [
          Number(r["id"]),
          { id: Number(r["id"]), currency: String(r["currency"]), lookbackDays: Number(r["lookback_days"]) },
        ]),
      );
    },
    async plans(programIds) {
      const sql = "SELECT * FROM commission_plans WHERE program_id IN (?) ORDER BY effective_from, id";
      return (await selectIn(db, sql, programIds)).map(planFromRow);
    },
    async parents(affiliateIds) {
      const sql = "SELECT id, parent_id FROM affiliates WHERE parent_id IS NOT NULL AND id IN (?)";
      const rows = await selectIn(db, sql, affiliateIds);
      return new Map(rows.map((r) => [Number(r["id"]), Number(r["parent_id"])]));
    },
    async rates(pairs) {
      const sql = "SELECT * FROM fx_rates WHERE {keys} ORDER BY effective_from";
      return (
        await selectKeys(
          db,
          sql,
          ["base", "quote"],
          pairs.map((p) => [p.base, p.quote]),
        )
      ).map(rateFromRow);
    },
    async qualified(keys) {
      const sql = "SELECT program_id, operator_id, player_key FROM cpa_qualifications WHERE {keys}";
      const cols = ["program_id", "operator_id", "player_key"];
      const rows = await selectKeys(
        db,
        sql,
        cols,
        keys.map((k) => [k.programId, k.operatorId, k.playerKey]),
      );
      return new Set(
        rows.map((r) =>
          playerKeyOf({
            programId: Number(r["program_id"]),
            operatorId: Number(r["operator_id"]),
            playerKey: String(r["player_key"]),
          }),
        ),
      );
    },
    async history(keys) {
      const pairs = keys.map((k) => [k.operatorId, k.playerId]);
      const events = await selectKeys(
        db,
        "SELECT id, operator_id, player_id, event, amount_minor, currency, lots_milli, occurred_at FROM conversions WHERE test = 0 AND reverses_id IS NULL AND ({keys})",
        ["operator_id", "player_id"],
        pairs,
      );
      const bound = await selectKeys(
        db,
        "SELECT operator_id, player_id, bound_at FROM players WHERE {keys}",
        ["operator_id", "player_id"],
        pairs,
      );
      return historyOf(events, bound);
    },
    async earnReads(request) {
      if (dialect.earnReads) return oneStatement(db, dialect.earnReads, request);
      // In-process statements: the separate reads, as many as before.
      const qualified = await ledger.qualified(request.qualified);
      const open = request.history.filter((h) => !qualified.has(playerKeyOf(h.key)));
      const { events, boundAt } = await ledger.history(
        open.map((h) => ({ operatorId: h.key.operatorId, playerId: h.playerId })),
      );
      if (request.lockMonths) await ledger.lockMonths(request.lockMonths);
      const usage = request.lockMonths ? undefined : await ledger.usage(request.months);
      return { qualified, events, boundAt, usage };
    },
    // Caps and revshare floors read the month's usage, then write it.
    lockMonths: (keys) => dialect.lockPairs(db, keys),
    async usage(keys, lock = false) {
      if (lock) await dialect.lockPairs(db, keys);
      const rows = await selectKeys(
        db,
        "SELECT * FROM month_usage WHERE {keys}",
        ["affiliate_id", "program_id", "period"],
        keys.map((k) => [k.affiliateId, k.programId, k.period]),
      );
      return usageOf(keys, rows);
    },
    async entriesOf(conversionIds) {
      // Locked on PostgreSQL (in id order): reversals and manual rejects of the same conversion
      // wait for each other, so the second sees what the first compensated.
      const rows = await selectIn(
        db,
        `SELECT * FROM ledger_entries WHERE reverses_entry_id IS NULL AND conversion_id IN (?) ORDER BY id${dialect.forUpdate}`,
        conversionIds,
      );
      const ids = rows.map((r) => String(r["id"]));
      const sums = await selectIn(
        db,
        "SELECT reverses_entry_id, SUM(amount_minor) AS total FROM ledger_entries WHERE reverses_entry_id IN (?) GROUP BY reverses_entry_id",
        ids,
      );
      const compensated = new Map(sums.map((r) => [String(r["reverses_entry_id"]), Number(r["total"] ?? 0)]));
      return rows.map((r) => ({
        ...entryFromRow(r),
        compensatedMinor: compensated.get(String(r["id"])) ?? 0,
      }));
    },
    async releaseQualifications(keys) {
      // By primary key and the conversion that qualified, a chunk of keys per statement.
      const released = await selectKeys(
        db,
        "DELETE FROM cpa_qualifications WHERE {keys} RETURNING affiliate_id, program_id, period, paid",
        ["program_id", "operator_id", "player_key", "conversion_id"],
        keys.map((k) => [k.programId, k.operatorId, k.playerKey, k.conversionId]),
      );
      await releaseUsage(db, released);
      return released.length;
    },
    async recordLater(written, lost) {
      const expected = written.qualifications.length;
      if (!held) {
        if ((await writeLedger(db, written)) < expected) throw lost();
        return;
      }
      held.hold(ledgerParts(written), ([inserted]) => {
        if (inserted!.length < expected) throw lost();
      });
    },
  };
  return ledger;
}

/** Each key's usage, zero where no row exists yet. */
function usageOf(keys: readonly UsageKey[], rows: readonly SqlRow[]): UsageRow[] {
  const found = new Map(rows.map((r) => [`${r["affiliate_id"]}:${r["program_id"]}:${r["period"]}`, r]));
  return keys.map((k) => {
    const row = found.get(`${k.affiliateId}:${k.programId}:${k.period}`);
    return {
      ...k,
      qualified: Number(row?.["qualified"] ?? 0),
      paidCpa: Number(row?.["paid_cpa"] ?? 0),
      paidMinor: Number(row?.["paid_minor"] ?? 0),
      revshareMinor: Number(row?.["revshare_minor"] ?? 0),
    };
  });
}

function historyOf(
  events: readonly SqlRow[],
  bound: readonly SqlRow[],
): { events: HistoryEvent[]; boundAt: Map<string, number> } {
  return {
    events: events.map((r) => ({
      conversionId: String(r["id"]),
      operatorId: Number(r["operator_id"]),
      playerId: String(r["player_id"]),
      event: String(r["event"]),
      amountMinor: r["amount_minor"] === null ? null : Number(r["amount_minor"]),
      currency: r["currency"] === null ? null : String(r["currency"]),
      lotsMilli: r["lots_milli"] === null ? null : Number(r["lots_milli"]),
      occurredAt: Number(r["occurred_at"]),
    })),
    boundAt: new Map(bound.map((r) => [`${r["operator_id"]}:${r["player_id"]}`, Number(r["bound_at"])])),
  };
}

/** earnReads as one statement: the request as unnest() arrays, the locks in lockPairs' order. */
async function oneStatement(
  db: SqlExecutor,
  read: NonNullable<SqlDialect["earnReads"]>,
  request: EarnReadsRequest,
) {
  const q = request.qualified;
  const h = request.history;
  const months = request.lockMonths ? [] : request.months;
  const locks = [...new Set((request.lockMonths ?? []).map((k) => `${k.affiliateId}:${k.programId}`))]
    .sort()
    .map((pair) => pair.split(":").map(Number) as [number, number]);
  const found = await read(db, {
    qualified: [q.map((k) => k.programId), q.map((k) => k.operatorId), q.map((k) => k.playerKey)],
    history: [
      h.map((k) => k.key.programId),
      h.map((k) => k.key.operatorId),
      h.map((k) => k.key.playerKey),
      h.map((k) => k.playerId),
    ],
    months: [months.map((k) => k.affiliateId), months.map((k) => k.programId), months.map((k) => k.period)],
    locks: [locks.map((k) => k[0]), locks.map((k) => k[1])],
  });
  const qualified = new Set(
    found.get("q")!.map((r) =>
      playerKeyOf({
        programId: Number(r["program_id"]),
        operatorId: Number(r["operator_id"]),
        playerKey: String(r["player_key"]),
      }),
    ),
  );
  return {
    qualified,
    ...historyOf(found.get("e")!, found.get("b")!),
    usage: request.lockMonths ? undefined : usageOf(months, found.get("u")!),
  };
}
