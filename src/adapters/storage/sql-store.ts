/** The `Store` port over a SQL driver: one implementation for SQLite and PostgreSQL. */
import type {
  ClickFilter,
  ConversionFilter,
  IngestTx,
  NewAffiliate,
  NewApiKey,
  NewLink,
  NewOperator,
  NewProgram,
  RequestLogFilter,
  Store,
} from "../../app/ports.ts";
import type { Affiliate, ApiKey, Link, Operator, Program } from "../../domain/model.ts";
import { AFFILIATES, entityTable, LINKS, OPERATORS, PROGRAMS, rowToEntity } from "./entity-table.ts";
import {
  CLICK_COLUMNS,
  CONVERSION_COLUMNS,
  clickFromRow,
  clickValues,
  conversionFromRow,
  conversionValues,
  PLAYER_COLUMNS,
  playerFromRow,
  playerValues,
  REQUEST_LOG_COLUMNS,
  requestLogFromRow,
  requestLogValues,
} from "./record-rows.ts";
import type { SqlDriver, SqlExecutor, SqlRow, SqlValue } from "./sql-driver.ts";

const MAX_LIMIT = 1000;
const PRUNE_CHUNK = 5000;
const KEY_CHUNK = 500;

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

/** `(a = ? AND b = ?) OR …` lookups in chunks, for batches of composite keys. */
async function findByPairs(
  db: SqlExecutor,
  table: string,
  columns: readonly [string, string],
  keys: ReadonlyArray<readonly [SqlValue, SqlValue]>,
): Promise<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (let start = 0; start < keys.length; start += KEY_CHUNK) {
    const part = keys.slice(start, start + KEY_CHUNK);
    const where = part.map(() => `(${columns[0]} = ? AND ${columns[1]} = ?)`).join(" OR ");
    rows.push(...(await db.all(`SELECT * FROM ${table} WHERE ${where}`, part.flat())));
  }
  return rows;
}

function ingestTx(db: SqlExecutor): IngestTx {
  return {
    async findConversions(keys) {
      const rows = await findByPairs(
        db,
        "conversions",
        ["operator_id", "txid"],
        keys.map((k) => [k.operatorId, k.txid]),
      );
      return rows.map(conversionFromRow);
    },
    async findPlayers(keys) {
      const rows = await findByPairs(
        db,
        "players",
        ["operator_id", "player_id"],
        keys.map((k) => [k.operatorId, k.playerId]),
      );
      return rows.map(playerFromRow);
    },
    async reversedTotals(ids) {
      const totals = new Map<string, number>();
      for (let start = 0; start < ids.length; start += KEY_CHUNK) {
        const part = ids.slice(start, start + KEY_CHUNK);
        const rows = await db.all(
          `SELECT reverses_id, SUM(amount_minor) AS total FROM conversions WHERE reverses_id IN (${part.map(() => "?").join(", ")}) GROUP BY reverses_id`,
          part,
        );
        for (const row of rows) totals.set(String(row["reverses_id"]), Number(row["total"] ?? 0));
      }
      return totals;
    },
    async insertConversions(rows) {
      const ids = await db.insertMany("conversions", CONVERSION_COLUMNS, rows.map(conversionValues), {
        ignoreConflicts: "operator_id, txid",
        returning: "id",
      });
      return new Set(ids.map(String));
    },
    async insertPlayers(rows) {
      await db.insertMany("players", PLAYER_COLUMNS, rows.map(playerValues), {
        ignoreConflicts: "operator_id, player_id",
      });
    },
    async insertRequestLogs(rows) {
      await db.insertMany("request_log", REQUEST_LOG_COLUMNS, rows.map(requestLogValues));
    },
  };
}

function conditions(pairs: ReadonlyArray<readonly [string, SqlValue | undefined]>): {
  where: string;
  params: SqlValue[];
} {
  const used = pairs.filter(([, value]) => value !== undefined) as Array<[string, SqlValue]>;
  return {
    where: used.length ? ` WHERE ${used.map(([condition]) => condition).join(" AND ")}` : "",
    params: used.map(([, value]) => value),
  };
}

const limitOf = (limit: number | undefined): number => Math.min(Math.max(limit ?? 100, 1), MAX_LIMIT);

export function createSqlStore(db: SqlDriver): Store {
  return {
    engine: db.engine,
    migrate: () => db.migrate(),
    async ping() {
      await db.all("SELECT 1 AS ok");
    },
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
        const { where, params } = conditions([
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
      await db.transaction((tx) => tx.insertMany("clicks", CLICK_COLUMNS, rows.map(clickValues)));
    },
    ingest: (work) => db.transaction((tx) => work(ingestTx(tx))),
    async insertRequestLogs(rows) {
      await db.transaction((tx) => ingestTx(tx).insertRequestLogs(rows));
    },

    async searchRequestLog(filter: RequestLogFilter) {
      const { where, params } = conditions([
        ["operator_id = ?", filter.operatorId],
        ["code = ?", filter.code],
        ["txid = ?", filter.txid],
        ["received_at >= ?", filter.since],
        ["received_at < ?", filter.until],
      ]);
      const rows = await db.all(
        `SELECT * FROM request_log${where} ORDER BY received_at DESC, id DESC LIMIT ?`,
        [...params, limitOf(filter.limit)],
      );
      return rows.map(requestLogFromRow);
    },
    async listConversions(filter: ConversionFilter) {
      const attributed = filter.attributed === undefined ? undefined : filter.attributed ? 1 : 0;
      const { where, params } = conditions([
        ["operator_id = ?", filter.operatorId],
        ["affiliate_id = ?", filter.affiliateId],
        ["program_id = ?", filter.programId],
        ["(CASE WHEN unattributed_reason IS NULL THEN 1 ELSE 0 END) = ?", attributed],
        ["received_at >= ?", filter.since],
        ["received_at < ?", filter.until],
      ]);
      const rows = await db.all(
        `SELECT * FROM conversions${where} ORDER BY received_at DESC, id DESC LIMIT ?`,
        [...params, limitOf(filter.limit)],
      );
      return rows.map(conversionFromRow);
    },
    async getConversion(id) {
      const [row] = await db.all("SELECT * FROM conversions WHERE id = ?", [id]);
      return row ? conversionFromRow(row) : undefined;
    },
    async listClicks(filter: ClickFilter) {
      const { where, params } = conditions([
        ["affiliate_id = ?", filter.affiliateId],
        ["link_id = ?", filter.linkId],
        ["created_at >= ?", filter.since],
        ["created_at < ?", filter.until],
      ]);
      const rows = await db.all(`SELECT * FROM clicks${where} ORDER BY created_at DESC LIMIT ?`, [
        ...params,
        limitOf(filter.limit),
      ]);
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
            `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${table === "clicks" ? "created_at" : "received_at"} < ? LIMIT ${PRUNE_CHUNK})`,
            [cutoff],
          );
          removed[name] += deleted;
          if (deleted < PRUNE_CHUNK) break;
        }
      }
      return removed;
    },
  };
}
