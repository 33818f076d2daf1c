/**
 * The outbox key on both engines (migration 006): one message per (endpoint, conversion, status,
 * adjustment). Writing the same message again keeps the first; two adjustments of one conversion
 * are two messages; other messages de-duplicate as before. Migrating a database that already holds
 * deliveries keeps them, with no adjustment.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { readMigrations } from "../../../src/adapters/storage/migration-files.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import type { NewDelivery } from "../../../src/app/delivery/outbox-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestDatabase, createTestStore, type Engine } from "../../helpers/engines.ts";

const NOW = Date.UTC(2026, 5, 1);

const message = (id: string, overrides: Partial<NewDelivery> = {}): NewDelivery => ({
  id,
  endpointId: 7,
  affiliateId: 3,
  conversionId: "cv_key",
  status: "adjusted",
  test: false,
  payload: { status: "adjusted" },
  runAt: NOW,
  ...overrides,
});

/** Applies migrations up to `upTo` with the engine's own client, as a database of that version. */
async function migrateRawly(engine: Engine, url: string, upTo: number, then: string): Promise<void> {
  const dir = path.join(import.meta.dirname, `../../../src/adapters/storage/${engine}/migrations`);
  const files = readMigrations(dir).filter((m) => m.version <= upTo);
  const record =
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
  const marks = files.map((m) => `INSERT INTO schema_migrations VALUES (${m.version}, '${m.name}', 0)`);
  const statements = [record, ...files.map((m) => m.sql), ...marks, then];
  if (engine === "sqlite") {
    const db = new DatabaseSync(url.replace(/^sqlite:/, ""));
    for (const sql of statements) db.exec(sql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const sql of statements) await client.query(sql);
  await client.end();
}

for (const engine of await availableEngines()) {
  describe(`outbox key (${engine})`, () => {
    let store: Store & { url: string };
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("one message per (endpoint, adjustment); other messages de-duplicate as before", async () => {
      await store.deliveries.enqueue([message("dl_a1", { adjustmentId: "adj_1" })], NOW);
      await store.deliveries.enqueue(
        [message("dl_a1_again", { adjustmentId: "adj_1" }), message("dl_a2", { adjustmentId: "adj_2" })],
        NOW,
      );
      await store.deliveries.enqueue([message("dl_c1", { status: "created" })], NOW);
      await store.deliveries.enqueue([message("dl_c2", { status: "created" })], NOW);
      const ids = (await store.deliveries.list({ conversionId: "cv_key" })).map((d) => d.id).sort();
      assert.deepEqual(ids, ["dl_a1", "dl_a2", "dl_c1"]);
    });
  });

  describe(`migration 006 on a database with deliveries (${engine})`, () => {
    test("existing deliveries stay, and keep de-duplicating", async () => {
      const database = await createTestDatabase(engine);
      try {
        await migrateRawly(
          engine,
          database.url,
          5,
          `INSERT INTO deliveries (id, endpoint_id, affiliate_id, conversion_id, status, test, payload, state, run_at, attempts, created_at, updated_at)
           VALUES ('dl_old', 7, 3, 'cv_old', 'created', 0, '{"status":"created"}', 'dead', ${NOW}, 8, ${NOW}, ${NOW})`,
        );
        const store = openStore(database.url);
        try {
          const later = readMigrations(
            path.join(import.meta.dirname, `../../../src/adapters/storage/${engine}/migrations`),
          ).filter((m) => m.version >= 6);
          assert.deepEqual(
            await store.migrate(),
            later.map((m) => m.version),
            "006 and the migrations after it",
          );
          const kept = await store.deliveries.get("dl_old");
          assert.deepEqual([kept?.state, kept?.attempts, kept?.payload], ["dead", 8, { status: "created" }]);
          await store.deliveries.enqueue(
            [message("dl_new", { conversionId: "cv_old", status: "created" })],
            NOW,
          );
          assert.deepEqual(
            (await store.deliveries.list({ conversionId: "cv_old" })).map((d) => d.id),
            ["dl_old"],
          );
        } finally {
          await store.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}
