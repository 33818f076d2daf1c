/** The `Store` port over a SQL driver: one implementation for SQLite and PostgreSQL. */
import type {
  ClickFilter,
  ConversionFilter,
  NewAffiliate,
  NewApiKey,
  NewLink,
  NewOperator,
  NewProgram,
  RequestLogFilter,
  Store,
} from "../../app/ports.ts";
import type { Affiliate, ApiKey, Link, Operator, Program } from "../../domain/model.ts";
import { createCommissionStore } from "./commissions-store.ts";
import { createConsoleSessionStore } from "./console-session-store.ts";
import { createDeliveryStore } from "./delivery-store.ts";
import { AFFILIATES, entityTable, LINKS, OPERATORS, PROGRAMS, rowToEntity } from "./entity-table.ts";
import { ingestTx } from "./ingest-tx.ts";
import {
  CLICK_COLUMNS,
  clickFromRow,
  clickValues,
  conversionFromRow,
  REQUEST_LOG_COLUMNS,
  requestLogFromRow,
  requestLogValues,
} from "./record-rows.ts";
import { keyOf, limitOf, type SqlDriver, type SqlRow, whereClause } from "./sql-driver.ts";

export interface SqlStoreOptions {
  /** Rows deleted per statement by `prune` (default 5000): each chunk is its own short transaction. */
  readonly pruneChunk?: number;
}

function apiKeyFromRow(row: SqlRow): ApiKey {
  return {
    id: Number(row["id"]),
    name: String(row["name"]),
    role: row["role"] as ApiKey["role"],
    operatorId: row["operator_id"] === null ? null : Number(row["operator_id"]),
    affiliateId: row["affiliate_id"] === null ? null : Number(row["affiliate_id"]),
    prefix: String(row["prefix"]),
    createdAt: Number(row["created_at"]),
    lastUsedAt: row["last_used_at"] === null ? null : Number(row["last_used_at"]),
    revokedAt: row["revoked_at"] === null ? null : Number(row["revoked_at"]),
  };
}

export function createSqlStore(db: SqlDriver, options: SqlStoreOptions = {}): Store {
  const pruneChunk = Math.max(1, Math.floor(options.pruneChunk ?? 5000));
  return {
    engine: db.engine,
    migrate: () => db.migrate(),
    ping: () => db.checkWritable(),
    close: () => db.close(),

    async ensureSetting(key, value) {
      await db.insertMany("settings", ["key", "value"], [[key, value]], { ignoreConflicts: "key" });
      const [row] = await db.all("SELECT value FROM settings WHERE key = ?", [key]);
      return String(row!["value"]);
    },

    operators: {
      ...entityTable<Operator, NewOperator>(db, OPERATORS),
      async getByKey(key) {
        const [row] = await db.all("SELECT * FROM operators WHERE key = ?", [key]);
        return row ? rowToEntity<Operator>(OPERATORS, row) : undefined;
      },
    },
    programs: entityTable<Program, NewProgram>(db, PROGRAMS),
    affiliates: entityTable<Affiliate, NewAffiliate>(db, AFFILIATES),
    links: {
      ...entityTable<Link, NewLink>(db, LINKS),
      async getByCode(code) {
        const [row] = await db.all("SELECT * FROM links WHERE code = ?", [code]);
        return row ? rowToEntity<Link>(LINKS, row) : undefined;
      },
    },
    apiKeys: {
      async create(key: NewApiKey, now) {
        const [id] = await db.insertMany(
          "api_keys",
          ["name", "role", "operator_id", "affiliate_id", "prefix", "key_hash", "created_at"],
          [[key.name, key.role, key.operatorId, key.affiliateId, key.prefix, key.hash, now]],
          { returning: "id" },
        );
        const [row] = await db.all("SELECT * FROM api_keys WHERE id = ?", [Number(id)]);
        return apiKeyFromRow(row!);
      },
      async findByHash(hash) {
        const [row] = await db.all("SELECT * FROM api_keys WHERE key_hash = ?", [hash]);
        return row ? apiKeyFromRow(row) : undefined;
      },
      async list(filter) {
        const { sql: where, params } = whereClause([
          ["operator_id = ?", filter.operatorId],
          ["affiliate_id = ?", filter.affiliateId],
          ["id > ?", filter.after],
        ]);
        const rows = await db.all(`SELECT * FROM api_keys${where} ORDER BY id LIMIT ?`, [
          ...params,
          limitOf(filter.limit),
        ]);
        return rows.map(apiKeyFromRow);
      },
      async revoke(id, now) {
        await db.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, id]);
        const [row] = await db.all("SELECT * FROM api_keys WHERE id = ?", [id]);
        return row ? apiKeyFromRow(row) : undefined;
      },
      async count() {
        const [row] = await db.all("SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL");
        return Number(row!["n"]);
      },
      async touch(id, now) {
        await db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now, id]);
      },
    },

    async insertClicks(rows) {
      await db.insertMany("clicks", CLICK_COLUMNS, rows.map(clickValues));
    },
    deliveries: createDeliveryStore(db),
    commissions: createCommissionStore(db),
    consoleSessions: createConsoleSessionStore(db, async (id) => {
      const [row] = await db.all("SELECT * FROM api_keys WHERE id = ?", [id]);
      return row ? apiKeyFromRow(row) : undefined;
    }),
    ingest: (work) => db.transaction((tx) => work(ingestTx(tx, db.engine))),
    async insertRequestLogs(rows) {
      await db.insertMany("request_log", REQUEST_LOG_COLUMNS, rows.map(requestLogValues));
    },

    async searchRequestLog(filter: RequestLogFilter) {
      const { sql: where, params } = whereClause([
        ["operator_id = ?", filter.operatorId],
        ["code = ?", filter.code],
        ["txid = ?", filter.txid],
        ["received_at >= ?", filter.since],
        ["received_at < ?", filter.until],
        ["(received_at, id) < (?, ?)", keyOf(filter.before)],
      ]);
      const rows = await db.all(
        `SELECT * FROM request_log${where} ORDER BY received_at DESC, id DESC LIMIT ?`,
        [...params, limitOf(filter.limit)],
      );
      return rows.map(requestLogFromRow);
    },
    async listConversions(filter: ConversionFilter) {
      const { sql: where, params } = whereClause([
        ["operator_id = ?", filter.operatorId],
        ["affiliate_id = ?", filter.affiliateId],
        ["program_id = ?", filter.programId],
        ["received_at >= ?", filter.since],
        ["received_at < ?", filter.until],
        ["(received_at, id) < (?, ?)", keyOf(filter.before)],
      ]);
      // A plain IS [NOT] NULL test, so unattributed ones are read from their partial index.
      const attribution =
        filter.attributed === undefined
          ? ""
          : `${where ? " AND" : " WHERE"} unattributed_reason IS ${filter.attributed ? "" : "NOT "}NULL`;
      const rows = await db.all(
        `SELECT * FROM conversions${where}${attribution} ORDER BY received_at DESC, id DESC LIMIT ?`,
        [...params, limitOf(filter.limit)],
      );
      return rows.map(conversionFromRow);
    },
    async getConversion(id) {
      const [row] = await db.all("SELECT * FROM conversions WHERE id = ?", [id]);
      return row ? conversionFromRow(row) : undefined;
    },
    async listClicks(filter: ClickFilter) {
      const { sql: where, params } = whereClause([
        // Same sub-select as the links' operator filter: one query however many links.
        ["program_id IN (SELECT id FROM programs WHERE operator_id = ?)", filter.operatorId],
        ["affiliate_id = ?", filter.affiliateId],
        ["link_id = ?", filter.linkId],
        ["created_at >= ?", filter.since],
        ["created_at < ?", filter.until],
        ["(created_at, click_id) < (?, ?)", keyOf(filter.before)],
      ]);
      const rows = await db.all(
        `SELECT * FROM clicks${where} ORDER BY created_at DESC, click_id DESC LIMIT ?`,
        [...params, limitOf(filter.limit)],
      );
      return rows.map(clickFromRow);
    },

    async prune(before) {
      const removed = { requestLog: 0, clicks: 0 };
      // Bounded chunks keep each write transaction short next to the hot path.
      const chunks: Array<[keyof typeof removed, string, string, number]> = [
        ["requestLog", "request_log", "id", before.requestLog],
        ["clicks", "clicks", "click_id", before.clicks],
      ];
      for (const [name, table, key, cutoff] of chunks) {
        for (;;) {
          const deleted = await db.run(
            `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${table === "clicks" ? "created_at" : "received_at"} < ? LIMIT ${pruneChunk})`,
            [cutoff],
          );
          removed[name] += deleted;
          if (deleted < pruneChunk) break;
        }
      }
      return removed;
    },
  };
}
