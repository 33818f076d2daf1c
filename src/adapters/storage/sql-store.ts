/** The `Store` port over a SQL driver: one implementation for SQLite and PostgreSQL. */

import { type SqlBool, sql } from "kysely";
import type {
  ClickFilter,
  ConversionFilter,
  NewAffiliate,
  NewLink,
  NewOperator,
  NewProgram,
  OperatorActivity,
  RequestLogFilter,
} from "../../app/admin/entities-port.ts";
import type { Store } from "../../app/ports.ts";
import type { Affiliate, Link, Operator, Program } from "../../domain/model.ts";
import { createAlertFacts } from "./alert-facts.ts";
import { createAlertStore } from "./alert-store.ts";
import { apiKeyStore } from "./api-keys-store.ts";
import { createCommissionStore } from "./commissions-store.ts";
import { createConsoleSessionStore } from "./console-session-store.ts";
import { createDeliveryStore } from "./delivery-store.ts";
import { dialectOf } from "./dialects.ts";
import {
  AFFILIATES,
  entityTable,
  LINKS,
  type LooseBuilder,
  OPERATORS,
  PROGRAMS,
  rowToEntity,
} from "./entity-table.ts";
import { HeldWrites } from "./held-writes.ts";
import { ingestTx } from "./ingest-tx.ts";
import { changesOf, firstOf, rowsOf } from "./query.ts";
import { createRecalculationStore } from "./recalculation-store.ts";
import { createReconciliationStore } from "./reconciliation-store.ts";
import {
  CLICK_COLUMNS,
  clickFromRow,
  clickValues,
  conversionFromRow,
  REQUEST_LOG_COLUMNS,
  requestLogFromRow,
  requestLogValues,
} from "./record-rows.ts";
import { activityRollupPart, postbackRollupPart, RollupSlots } from "./rollup-writes.ts";
import type { SqlDriver } from "./sql-driver.ts";
import { createStatsStore } from "./stats-store.ts";
import { newestPage } from "./time-window.ts";
import { createTimelineReads } from "./timeline-reads.ts";
import { createTraceStore } from "./trace-store.ts";

export interface SqlStoreOptions {
  /** Rows deleted per statement by `prune` (default 5000): each chunk is its own short transaction. */
  readonly pruneChunk?: number;
}

/** Request log and conversions: newest first by (received_at, id). */
const RECEIVED = ["received_at", "id"] as const;

export function createSqlStore(db: SqlDriver, options: SqlStoreOptions = {}): Store {
  const pruneChunk = Math.max(1, Math.floor(options.pruneChunk ?? 5000));
  const dialect = dialectOf(db.engine);
  const { builder } = dialect;
  // Each write of rollups in flight adds to its own slot of a key (rollup-writes.ts).
  const slots = new RollupSlots();
  const store: Store = {
    engine: db.engine,
    migrate: () => db.migrate(),
    ping: () => db.checkWritable(),
    close: () => db.close(),

    async ensureSetting(key, value) {
      await changesOf(
        db,
        builder
          .insertInto("settings")
          .values({ key, value })
          .onConflict((oc) => oc.column("key").doNothing()),
      );
      const row = await firstOf(db, builder.selectFrom("settings").select("value").where("key", "=", key));
      return String(row!["value"]);
    },

    operators: {
      ...entityTable<Operator, NewOperator>(db, builder, OPERATORS),
      async getByKey(key) {
        const row = await firstOf(db, builder.selectFrom("operators").selectAll().where("key", "=", key));
        return row ? rowToEntity<Operator>(OPERATORS, row) : undefined;
      },
      async activity(operatorIds) {
        // One max() per operator and table: each is a seek to the end of the (operator_id,
        // received_at) index on both engines; a GROUP BY over several would read every row.
        const latest = async (table: "request_log" | "conversions", id: number) => {
          const row = await firstOf(
            db,
            builder
              .selectFrom(table)
              .select((eb) => eb.fn.max("received_at").as("at"))
              .where("operator_id", "=", id),
          );
          return row?.["at"] === null || row?.["at"] === undefined ? null : Number(row["at"]);
        };
        const out = new Map<number, OperatorActivity>();
        for (const id of new Set(operatorIds))
          out.set(id, {
            lastPostbackAt: await latest("request_log", id),
            lastAcceptedAt: await latest("conversions", id),
          });
        return out;
      },
    },
    programs: entityTable<Program, NewProgram>(db, builder, PROGRAMS),
    affiliates: entityTable<Affiliate, NewAffiliate>(db, builder, AFFILIATES),
    links: {
      ...entityTable<Link, NewLink>(db, builder, LINKS),
      async getByCode(code) {
        const row = await firstOf(db, builder.selectFrom("links").selectAll().where("code", "=", code));
        return row ? rowToEntity<Link>(LINKS, row) : undefined;
      },
    },
    apiKeys: apiKeyStore(db, builder),

    // The hot paths: hand-written inserts through the driver (one prepared statement per shape).
    async insertClicks(rows) {
      await db.insertAll([
        { table: "clicks", columns: CLICK_COLUMNS, rows: rows.map(clickValues) },
        activityRollupPart([], rows),
      ]);
    },
    deliveries: createDeliveryStore(db),
    commissions: createCommissionStore(db),
    consoleSessions: createConsoleSessionStore(db, builder),
    traces: createTraceStore(db),
    stats: createStatsStore(db),
    ingest: (work) =>
      slots.with((slot) =>
        db.transaction(async (tx) => {
          // PostgreSQL: the ledger write rides with the outbox insert (one round trip, not two).
          const held = dialect.holdsWrites ? new HeldWrites(tx) : undefined;
          const result = await work(ingestTx(tx, dialect, held, slot));
          await held?.flush();
          return result;
        }),
      ),
    recalculations: createRecalculationStore(db, dialect, builder),
    alerts: createAlertStore(db, builder),
    alertFacts: createAlertFacts(db, builder, { activity: (ids) => store.operators.activity(ids) }),
    timeline: createTimelineReads(db, builder),
    reconciliations: createReconciliationStore(db),
    async insertRequestLogs(rows) {
      await slots.with((slot) =>
        db.insertAll([
          { table: "request_log", columns: REQUEST_LOG_COLUMNS, rows: rows.map(requestLogValues) },
          postbackRollupPart(rows, slot),
        ]),
      );
    },

    async getRequestLog(id) {
      const row = await firstOf(db, builder.selectFrom("request_log").selectAll().where("id", "=", id));
      return row ? requestLogFromRow(row) : undefined;
    },
    async searchRequestLog(filter: RequestLogFilter) {
      const equal = {
        operator_id: filter.operatorId,
        program_id: filter.programId,
        outcome: filter.outcome,
        status: filter.status,
        code: filter.code,
        txid: filter.txid,
      };
      const query = newestPage(builder.selectFrom("request_log").selectAll(), equal, RECEIVED, filter);
      return (await rowsOf(db, query)).map(requestLogFromRow);
    },
    async listConversions(filter: ConversionFilter) {
      const { operatorId, affiliateId, programId, attributed, test, occurredSince, occurredUntil } = filter;
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        // A plain IS [NOT] NULL test, so unattributed ones are read from their partial index.
        .$if(attributed !== undefined, (q) =>
          q.where("unattributed_reason", attributed ? "is" : "is not", null),
        )
        // A literal, as the partial index of test events names it (a bound 1 would not match it).
        .$if(test !== undefined, (q) => q.where(sql<SqlBool>`test = ${sql.lit(test ? 1 : 0)}`))
        .$if(occurredSince !== undefined, (q) => q.where("occurred_at", ">=", occurredSince!))
        .$if(occurredUntil !== undefined, (q) => q.where("occurred_at", "<", occurredUntil!));
      const equal = {
        operator_id: operatorId,
        affiliate_id: affiliateId,
        program_id: programId,
        event: filter.event,
      };
      return (await rowsOf(db, newestPage(query, equal, RECEIVED, filter))).map(conversionFromRow);
    },
    async getConversion(id) {
      const row = await firstOf(db, builder.selectFrom("conversions").selectAll().where("id", "=", id));
      return row ? conversionFromRow(row) : undefined;
    },
    async listClicks(filter: ClickFilter) {
      const operator = filter.operatorId;
      // Same sub-select as the links' operator filter: one query however many links.
      const programs = builder
        .selectFrom("programs")
        .select("id")
        .where("operator_id", "=", operator ?? 0);
      const query = builder
        .selectFrom("clicks")
        .selectAll()
        .$if(operator !== undefined, (q) => q.where("program_id", "in", programs));
      const equal = { affiliate_id: filter.affiliateId, link_id: filter.linkId };
      return (await rowsOf(db, newestPage(query, equal, ["created_at", "click_id"], filter))).map(
        clickFromRow,
      );
    },

    async prune(before) {
      const removed = { requestLog: 0, clicks: 0 };
      // Two tables of the same shape: the loose builder (entity-table.ts) names them at run time.
      const loose = builder as unknown as LooseBuilder;
      const chunks: Array<[keyof typeof removed, string, string, string, number]> = [
        ["requestLog", "request_log", "id", "received_at", before.requestLog],
        ["clicks", "clicks", "click_id", "created_at", before.clicks],
      ];
      // Bounded chunks keep each write transaction short next to the hot path.
      for (const [name, table, key, time, cutoff] of chunks) {
        const oldest = loose.selectFrom(table).select(key).where(time, "<", cutoff).limit(pruneChunk);
        for (;;) {
          const deleted = await changesOf(db, loose.deleteFrom(table).where(key, "in", oldest));
          removed[name] += deleted;
          if (deleted < pruneChunk) break;
        }
      }
      // Step traces and signature evidence go with their request-log rows, by the same time.
      for (const table of ["postback_traces", "request_log_signatures"]) {
        const old = loose
          .selectFrom(table)
          .select("request_log_id")
          .where("received_at", "<", before.requestLog)
          .limit(pruneChunk);
        while (
          (await changesOf(db, loose.deleteFrom(table).where("request_log_id", "in", old))) >= pruneChunk
        );
      }
      return removed;
    },
  };
  return store;
}
