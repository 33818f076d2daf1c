/** Recalculations over SQL (both engines, built with Kysely): the `RecalculationStore` port. */
import { type Kysely, sql } from "kysely";
import type {
  Recalculation,
  RecalculationStore,
  RecalculationTx,
  UnearnedFilter,
} from "../../app/commissions/recalculation-port.ts";
import type { ConversionRow } from "../../app/records.ts";
import type { Database } from "./database.ts";
import { ingestTx } from "./ingest-tx.ts";
import { chunks } from "./key-batches.ts";
import { changesOf, rowsOf } from "./query.ts";
import { conversionFromRow } from "./record-rows.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import type { SqlDriver, SqlExecutor, SqlRow } from "./sql-driver.ts";

function recalculationFromRow(r: SqlRow): Recalculation {
  return {
    id: String(r["id"]),
    programId: Number(r["program_id"]),
    from: Number(r["from_at"]),
    to: Number(r["to_at"]),
    includePaidPeriods: Number(r["include_paid_periods"]) === 1,
    mode: String(r["mode"]) === "replan" ? "replan" : "unearned",
    replaced: Number(r["replaced"]),
    conversions: Number(r["conversions"]),
    entries: Number(r["entries"]),
    skippedPaid: Number(r["skipped_paid"]),
    totals: JSON.parse(String(r["totals"])),
    createdByKeyId: r["created_by_key_id"] === null ? null : Number(r["created_by_key_id"]),
    createdAt: Number(r["created_at"]),
  };
}

function recalculationTx(db: SqlExecutor, builder: Kysely<Database>): RecalculationTx {
  /** The program's live, attributed conversions with occurred_at in [from, to). */
  const inRange = (filter: UnearnedFilter) =>
    builder
      .selectFrom("conversions as c")
      .selectAll("c")
      .where("c.program_id", "=", filter.programId)
      .where("c.test", "=", 0)
      .where("c.affiliate_id", "is not", null)
      .where("c.occurred_at", ">=", filter.from)
      .where("c.occurred_at", "<", filter.to);
  return {
    async unearned(filter, limit) {
      // The program's conversions through conversions_program, each probed in
      // ledger_entries_conversion: a rare admin action, bounded by `limit`.
      const query = inRange(filter)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("ledger_entries as e")
                .select(sql.lit(1).as("one"))
                .whereRef("e.conversion_id", "=", "c.id"),
            ),
          ),
        )
        .orderBy("c.occurred_at")
        .orderBy("c.id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
    async decided(filter, limit) {
      // As `unearned`: the program's conversions through conversions_program (a rare admin
      // action, bounded by `limit`), each probed in ledger_entries_conversion and conversions_reverses.
      const query = inRange(filter)
        .where("c.reverses_id", "is", null)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom("ledger_entries as e")
              .select(sql.lit(1).as("one"))
              .whereRef("e.conversion_id", "=", "c.id")
              .where("e.kind", "in", ["commission", "override"])
              .where("e.reverses_entry_id", "is", null),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("ledger_entries as a")
                .select(sql.lit(1).as("one"))
                .whereRef("a.conversion_id", "=", "c.id")
                .where("a.kind", "=", "adjustment"),
            ),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("conversions as r")
                .innerJoin("ledger_entries as ra", "ra.conversion_id", "r.id")
                .select(sql.lit(1).as("one"))
                .whereRef("r.reverses_id", "=", "c.id")
                .where("ra.kind", "=", "adjustment"),
            ),
          ),
        )
        .orderBy("c.occurred_at")
        .orderBy("c.id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
    async reversalsOf(conversionIds) {
      const rows: ConversionRow[] = [];
      for (const part of chunks(conversionIds)) {
        const query = builder
          .selectFrom("conversions")
          .selectAll()
          .where("reverses_id", "in", part)
          .where("test", "=", 0);
        rows.push(...(await rowsOf(db, query)).map(conversionFromRow));
      }
      return rows.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
    },
    async ownTotals(conversions) {
      const totals = new Map<string, number>();
      const owner = new Map(conversions.map((c) => [c.id, c.affiliateId]));
      for (const part of chunks([...owner.keys()])) {
        const query = builder
          .selectFrom("ledger_entries")
          .select(["conversion_id", "affiliate_id", (eb) => eb.fn.sum<number>("amount_minor").as("total")])
          .where("conversion_id", "in", part)
          .where("kind", "<>", "override")
          .groupBy(["conversion_id", "affiliate_id"]);
        for (const r of await rowsOf(db, query)) {
          const id = String(r["conversion_id"]);
          if (owner.get(id) === Number(r["affiliate_id"])) totals.set(id, Number(r["total"] ?? 0));
        }
      }
      return totals;
    },
    async paidPeriods(keys) {
      const paid = new Set<string>();
      const affiliates = [...new Set(keys.map((k) => k.affiliateId))];
      const periods = [...new Set(keys.map((k) => k.period))];
      if (!affiliates.length) return paid;
      const query = builder
        .selectFrom("payouts")
        .select(["affiliate_id", "period"])
        .where("affiliate_id", "in", affiliates)
        .where("period", "in", periods);
      for (const r of await rowsOf(db, query))
        paid.add(`${Number(r["affiliate_id"])}:${String(r["period"])}`);
      return paid;
    },
    async record(run) {
      await changesOf(
        db,
        builder.insertInto("commission_recalculations").values({
          id: run.id,
          program_id: run.programId,
          from_at: run.from,
          to_at: run.to,
          include_paid_periods: run.includePaidPeriods ? 1 : 0,
          mode: run.mode,
          replaced: run.replaced,
          conversions: run.conversions,
          entries: run.entries,
          skipped_paid: run.skippedPaid,
          totals: JSON.stringify(run.totals),
          created_by_key_id: run.createdByKeyId,
          created_at: run.createdAt,
        }),
      );
    },
  };
}

export function createRecalculationStore(
  db: SqlDriver,
  dialect: SqlDialect,
  builder: Kysely<Database>,
): RecalculationStore {
  return {
    run: (work) => db.transaction((tx) => work(ingestTx(tx, dialect), recalculationTx(tx, builder))),
    async list(programId) {
      const query = builder
        .selectFrom("commission_recalculations")
        .selectAll()
        .where("program_id", "=", programId)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc");
      return (await rowsOf(db, query)).map(recalculationFromRow);
    },
  };
}
