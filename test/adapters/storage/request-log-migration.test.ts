/**
 * Migration 011 on a database that already holds request-log rows (both engines): each old entry
 * gets the outcome its answer implies (a test event told by its conversion) and, when it created or
 * named a conversion, that conversion's program; entries of refused requests name no program.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { MIGRATIONS_TABLE_SQL, readMigrations } from "../../../src/adapters/storage/migration-files.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import type { Store } from "../../../src/app/ports.ts";
import {
  availableEngines,
  createTestDatabase,
  type Engine,
  type TestDatabase,
} from "../../helpers/engines.ts";

const STORAGE = path.join(import.meta.dirname, "..", "..", "..", "src", "adapters", "storage");

/** The schema as it was before migration 011, and rows written by that version. */
const SEED = [
  `INSERT INTO operators (id, name, key, status, auth, mapping, created_at, updated_at)
   VALUES (1, 'Op', 'op', 'active', '{}', '{}', 1, 1)`,
  `INSERT INTO programs (id, operator_id, name, vertical, currency, landing_url_template, allowed_events,
   lookback_days, status, created_at, updated_at)
   VALUES (7, 1, 'P', 'igaming', 'EUR', 'https://x.example/', '[]', 30, 'active', 1, 1)`,
  ...[
    ["cv_live", "t1", 7, null, 0],
    ["cv_lost", "t2", 7, "no_click_id", 0],
    ["cv_test", "t3", 7, null, 1],
  ].map(
    ([id, txid, program, reason, testFlag]) =>
      `INSERT INTO conversions (id, operator_id, txid, content_hash, event, program_id, occurred_at, received_at,
       unattributed_reason, test, extra, response)
       VALUES ('${id}', 1, '${txid}', 'h', 'ftd', ${program}, 1, 1, ${reason === null ? "NULL" : `'${reason}'`}, ${testFlag}, '{}', '{}')`,
  ),
  ...[
    ["rq_1", 200, "accepted", null, "cv_live"],
    ["rq_2", 200, "accepted", "no_click_id", "cv_lost"],
    ["rq_3", 200, "accepted", null, "cv_test"],
    ["rq_4", 200, "duplicate", null, "cv_live"],
    ["rq_5", 401, "invalid_signature", "The signature does not match.", null],
    ["rq_6", 409, "txid_conflict", "txid t1 was already used with different content.", null],
    ["rq_7", 503, "storage_unavailable", null, null],
  ].map(
    ([id, status, code, reason, conversion]) =>
      `INSERT INTO request_log (id, received_at, operator_id, method, path, status, code, reason, latency_us, conversion_id, raw)
       VALUES ('${id}', 1, 1, 'GET', '/v1/postback/op', ${status}, '${code}', ${reason === null ? "NULL" : `'${reason}'`}, 10,
       ${conversion === null ? "NULL" : `'${conversion}'`}, '{}')`,
  ),
];

/** Applies the migrations before 011 and the seed with the engine's own client. */
async function atVersion10(engine: Engine, url: string): Promise<void> {
  const before11 = readMigrations(path.join(STORAGE, engine, "migrations")).filter((m) => m.version < 11);
  const statements = [
    MIGRATIONS_TABLE_SQL,
    ...before11.flatMap((m) => [
      m.sql,
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, '${m.name}', 0)`,
    ]),
    ...SEED,
  ];
  if (engine === "sqlite") {
    const db = new DatabaseSync(url.slice("sqlite:".length));
    for (const sql of statements) db.exec(sql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

for (const engine of await availableEngines()) {
  describe(`migration 011 on existing request-log rows (${engine})`, () => {
    let database: TestDatabase;
    let store: Store;
    before(async () => {
      database = await createTestDatabase(engine);
      await atVersion10(engine, database.url);
      store = openStore(database.url);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    test("old entries get their outcome and their conversion's program", async () => {
      const applied = await store.migrate();
      assert.ok(applied.includes(11) && !applied.includes(10), `applied ${applied}`);
      const rows = await store.searchRequestLog({ limit: 100 });
      const got = Object.fromEntries(
        rows.map((r) => [r.id, { outcome: r.outcome, programId: r.programId, answer: r.answer }]),
      );
      assert.deepEqual(got, {
        rq_1: { outcome: "accepted", programId: 7, answer: null },
        rq_2: { outcome: "unattributed", programId: 7, answer: null },
        rq_3: { outcome: "test", programId: 7, answer: null },
        rq_4: { outcome: "duplicate", programId: 7, answer: null },
        rq_5: { outcome: "rejected", programId: null, answer: null },
        rq_6: { outcome: "rejected", programId: null, answer: null },
        rq_7: { outcome: "rejected", programId: null, answer: null },
      });
      const tests = await store.searchRequestLog({ programId: 7, outcome: "test", limit: 10 });
      assert.deepEqual(
        tests.map((r) => r.id),
        ["rq_3"],
      );
    });
  });
}
