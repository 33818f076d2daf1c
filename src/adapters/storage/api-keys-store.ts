/** The `Store`'s API keys over SQL (built with Kysely, sql-dialect.ts). */
import type { Kysely } from "kysely";
import type { NewApiKey } from "../../app/admin/entities-port.ts";
import type { Store } from "../../app/ports.ts";
import type { ApiKey } from "../../domain/model.ts";
import type { Database } from "./database.ts";
import { changesOf, firstOf, rowsOf } from "./query.ts";
import { limitOf, type SqlExecutor, type SqlRow } from "./sql-driver.ts";

export function apiKeyFromRow(row: SqlRow): ApiKey {
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

export function apiKeyStore(db: SqlExecutor, builder: Kysely<Database>): Store["apiKeys"] {
  const byId = async (id: number) => {
    const row = await firstOf(db, builder.selectFrom("api_keys").selectAll().where("id", "=", id));
    return row ? apiKeyFromRow(row) : undefined;
  };
  return {
    async create(key: NewApiKey, now) {
      const inserted = await firstOf(
        db,
        builder
          .insertInto("api_keys")
          .values({
            name: key.name,
            role: key.role,
            operator_id: key.operatorId,
            affiliate_id: key.affiliateId,
            prefix: key.prefix,
            key_hash: key.hash,
            created_at: now,
          })
          .returning("id"),
      );
      return (await byId(Number(inserted!["id"])))!;
    },
    async findByHash(hash) {
      const row = await firstOf(db, builder.selectFrom("api_keys").selectAll().where("key_hash", "=", hash));
      return row ? apiKeyFromRow(row) : undefined;
    },
    async list(filter) {
      const query = builder
        .selectFrom("api_keys")
        .selectAll()
        .where((eb) => eb.and({ operator_id: filter.operatorId, affiliate_id: filter.affiliateId }))
        .$if(filter.after !== undefined, (q) => q.where("id", ">", filter.after!))
        .orderBy("id")
        .limit(limitOf(filter.limit));
      return (await rowsOf(db, query)).map(apiKeyFromRow);
    },
    async revoke(id, now) {
      await changesOf(
        db,
        builder
          .updateTable("api_keys")
          .set({ revoked_at: now })
          .where("id", "=", id)
          .where("revoked_at", "is", null),
      );
      return byId(id);
    },
    async count() {
      const row = await firstOf(
        db,
        builder
          .selectFrom("api_keys")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("revoked_at", "is", null),
      );
      return Number(row!["n"]);
    },
    async touch(id, now) {
      await changesOf(db, builder.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id));
    },
  };
}
