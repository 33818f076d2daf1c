/** Console sessions over SQL (both engines, built with Kysely, sql-dialect.ts): the `ConsoleSessionStore` port. */
import type { Kysely } from "kysely";
import type { ConsoleSessionRow, ConsoleSessionStore } from "../../app/access/console-session-port.ts";
import { apiKeyFromRow } from "./api-keys-store.ts";
import type { Database } from "./database.ts";
import { changesOf, firstOf } from "./query.ts";
import type { SqlExecutor, SqlRow } from "./sql-driver.ts";

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

export function createConsoleSessionStore(db: SqlExecutor, builder: Kysely<Database>): ConsoleSessionStore {
  return {
    async create(s) {
      await changesOf(
        db,
        builder.insertInto("console_sessions").values({
          id_hash: s.idHash,
          api_key_id: s.apiKeyId,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
          revoked_at: s.revokedAt,
          ip: s.ip,
          user_agent: s.userAgent,
        }),
      );
    },
    async find(idHash) {
      const row = await firstOf(
        db,
        builder.selectFrom("console_sessions").selectAll().where("id_hash", "=", idHash),
      );
      if (!row) return undefined;
      const session = sessionFromRow(row);
      // The key is read as it is now (revoked or not): the session ends with its key.
      const key = await firstOf(
        db,
        builder.selectFrom("api_keys").selectAll().where("id", "=", session.apiKeyId),
      );
      return key ? { session, key: apiKeyFromRow(key) } : undefined;
    },
    async touch(idHash, now) {
      await changesOf(
        db,
        builder.updateTable("console_sessions").set({ last_seen_at: now }).where("id_hash", "=", idHash),
      );
    },
    async revoke(idHash, now) {
      const changed = await changesOf(
        db,
        builder
          .updateTable("console_sessions")
          .set({ revoked_at: now })
          .where("id_hash", "=", idHash)
          .where("revoked_at", "is", null),
      );
      return changed > 0;
    },
    prune(before) {
      return changesOf(
        db,
        builder
          .deleteFrom("console_sessions")
          .where((eb) => eb.or([eb("expires_at", "<", before), eb("revoked_at", "<", before)])),
      );
    },
  };
}
