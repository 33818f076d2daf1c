/** Console sessions over SQL (both engines): the `ConsoleSessionStore` port. */
import type { ConsoleSessionRow, ConsoleSessionStore } from "../../app/access/console-session-port.ts";
import type { ApiKey } from "../../domain/model.ts";
import type { SqlDriver, SqlRow } from "./sql-driver.ts";

const COLUMNS = [
  "id_hash",
  "api_key_id",
  "created_at",
  "last_seen_at",
  "expires_at",
  "revoked_at",
  "ip",
  "user_agent",
] as const;

const nullable = (value: unknown): number | null => (value === null ? null : Number(value));

function sessionFromRow(row: SqlRow): ConsoleSessionRow {
  return {
    idHash: String(row["id_hash"]),
    apiKeyId: Number(row["api_key_id"]),
    createdAt: Number(row["created_at"]),
    lastSeenAt: Number(row["last_seen_at"]),
    expiresAt: Number(row["expires_at"]),
    revokedAt: nullable(row["revoked_at"]),
    ip: row["ip"] === null ? null : String(row["ip"]),
    userAgent: row["user_agent"] === null ? null : String(row["user_agent"]),
  };
}

/** `keyById` reads an API key (revoked or not) the way the store's API keys do. */
export function createConsoleSessionStore(
  db: SqlDriver,
  keyById: (id: number) => Promise<ApiKey | undefined>,
): ConsoleSessionStore {
  return {
    async create(s) {
      await db.insertMany("console_sessions", COLUMNS, [
        [s.idHash, s.apiKeyId, s.createdAt, s.lastSeenAt, s.expiresAt, s.revokedAt, s.ip, s.userAgent],
      ]);
    },
    async find(idHash) {
      const [row] = await db.all("SELECT * FROM console_sessions WHERE id_hash = ?", [idHash]);
      if (!row) return undefined;
      const session = sessionFromRow(row);
      const key = await keyById(session.apiKeyId);
      return key ? { session, key } : undefined;
    },
    async touch(idHash, now) {
      await db.run("UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ?", [now, idHash]);
    },
    async revoke(idHash, now) {
      const changed = await db.run(
        "UPDATE console_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
        [now, idHash],
      );
      return changed > 0;
    },
    async prune(before) {
      return db.run("DELETE FROM console_sessions WHERE expires_at < ? OR revoked_at < ?", [before, before]);
    },
  };
}
