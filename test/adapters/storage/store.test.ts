/**
 * The Store port on both engines: migrations, the admin entities (create/get/list/update, filters,
 * keyset pagination, JSON columns), unique violations, settings and API keys.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { readMigrations } from "../../../src/adapters/storage/migration-files.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { UniqueViolationError } from "../../../src/adapters/storage/sql-driver.ts";
import type { NewOperator, NewProgram } from "../../../src/app/admin/entities-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestDatabase, createTestStore } from "../../helpers/engines.ts";
import { uniqueId } from "../../helpers/records.ts";

const NOW = 1_760_000_000_000;
/** Every migration version shipped (both dialects have the same file set). */
const VERSIONS = readMigrations(
  path.join(import.meta.dirname, "../../../src/adapters/storage/sqlite/migrations"),
).map((m) => m.version);

const newOperator = (overrides: Partial<NewOperator> = {}): NewOperator => ({
  name: "Casino Royale",
  key: uniqueId("op"),
  status: "active",
  auth: {
    hmacSecrets: ["whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="],
    ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
    trustedProxies: [],
    staticTokenHash: null,
  },
  mapping: { params: { btag: "click_id" }, values: { event: { dep: "ftd", "Ünïcode ✓": "deposit" } } },
  ...overrides,
});

const newProgram = (operatorId: number, overrides: Partial<NewProgram> = {}): NewProgram => ({
  operatorId,
  name: "Casino EU",
  vertical: "igaming",
  currency: "EUR",
  landingUrlTemplate: "https://casino.example/?cid={click_id}",
  fallbackUrl: null,
  allowedEvents: ["registration", "ftd", "refund"],
  lookbackDays: 30,
  status: "active",
  ...overrides,
});

/** Asserts the promise rejects with a unique violation on `field`, the same on both engines. */
async function assertUniqueViolation(promise: Promise<unknown>, field: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UniqueViolationError, `got ${String(error)}`);
    assert.equal(error.code, "conflict");
    assert.equal(error.status, 409);
    assert.equal(error.field, field);
    return true;
  });
}

for (const engine of await availableEngines()) {
  describe(`migrations (${engine})`, () => {
    test("apply once; a second migrate applies nothing", async () => {
      const database = await createTestDatabase(engine);
      const store = openStore(database.url);
      try {
        assert.deepEqual(await store.migrate(), VERSIONS);
        assert.deepEqual(await store.migrate(), []);
        assert.equal(await store.ensureSetting("k", "v"), "v");
      } finally {
        await store.close();
        await database.drop();
      }
    });

    test("two stores migrating one fresh database at once both succeed, one applies", async () => {
      const database = await createTestDatabase(engine);
      const stores = [openStore(database.url), openStore(database.url)];
      try {
        const results = await Promise.all(stores.map((s) => s.migrate()));
        assert.deepEqual(
          results.flat().sort((a, b) => a - b),
          VERSIONS,
        );
        assert.deepEqual(await stores[1]!.migrate(), []);
      } finally {
        for (const s of stores) await s.close();
        await database.drop();
      }
    });
  });

  describe(`admin entities (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("operators: create, get, getByKey, update; JSON columns round-trip", async () => {
      const input = newOperator();
      const created = await store.operators.create(input, NOW);
      assert.equal(typeof created.id, "number");
      assert.deepEqual(created, { id: created.id, ...input, createdAt: NOW, updatedAt: NOW });
      assert.deepEqual(await store.operators.get(created.id), created);
      assert.deepEqual(await store.operators.getByKey(input.key), created);
      assert.equal(await store.operators.getByKey("nope"), undefined);
      assert.equal(await store.operators.get(987_654), undefined);

      const mapping = { params: { sub: "sub_id" }, values: {} };
      const updated = await store.operators.update(created.id, { status: "disabled", mapping }, NOW + 5);
      assert.deepEqual(updated, { ...created, status: "disabled", mapping, updatedAt: NOW + 5 });
      assert.deepEqual(await store.operators.get(created.id), updated);
      assert.equal(await store.operators.update(987_654, { name: "x" }, NOW), undefined);
    });

    test("operators: updateIf writes only over the auth it read; a stale write changes nothing", async () => {
      const created = await store.operators.create(newOperator(), NOW);
      const read = (await store.operators.get(created.id))!;
      const first = { ...read.auth, hmacSecrets: [...read.auth.hmacSecrets, "whsec_Zmlyc3Q="] };
      const written = await store.operators.updateIf(
        created.id,
        { auth: read.auth },
        { auth: first, name: "First" },
        NOW + 1,
      );
      assert.deepEqual(written, { ...created, auth: first, name: "First", updatedAt: NOW + 1 });

      // Same instant, same (now stale) auth read: refused, whatever else the patch holds.
      const stale = { ...read.auth, ipAllowlist: ["198.51.100.0/24"] };
      const refused = await store.operators.updateIf(
        created.id,
        { auth: read.auth },
        { auth: stale, status: "disabled" },
        NOW + 1,
      );
      assert.equal(refused, undefined);
      assert.deepEqual(await store.operators.get(created.id), written);
      assert.equal(
        await store.operators.updateIf(987_654, { auth: read.auth }, { name: "x" }, NOW),
        undefined,
      );
    });

    test("programs: list by operator, keyset pagination, nullable and JSON fields", async () => {
      const [a, b] = [
        await store.operators.create(newOperator(), NOW),
        await store.operators.create(newOperator(), NOW),
      ];
      const made = [];
      for (let i = 0; i < 5; i++)
        made.push(await store.programs.create(newProgram(a.id, { name: `P${i}` }), NOW));
      await store.programs.create(newProgram(b.id), NOW);

      const all = await store.programs.list({ operatorId: a.id });
      assert.deepEqual(
        all.map((p) => p.name),
        ["P0", "P1", "P2", "P3", "P4"],
      );
      assert.deepEqual(all[0]!.allowedEvents, ["registration", "ftd", "refund"]);
      const page1 = await store.programs.list({ operatorId: a.id, limit: 2 });
      const page2 = await store.programs.list({ operatorId: a.id, limit: 2, after: page1.at(-1)!.id });
      const page3 = await store.programs.list({ operatorId: a.id, limit: 2, after: page2.at(-1)!.id });
      assert.deepEqual(
        [...page1, ...page2, ...page3].map((p) => p.id),
        made.map((p) => p.id),
      );
      assert.deepEqual(await store.programs.list({ programId: made[3]!.id }), [made[3]]);
      // A nonsense limit is clamped, never "no limit".
      assert.equal((await store.programs.list({ operatorId: a.id, limit: -1 })).length, 1);
      assert.equal((await store.programs.list({ operatorId: a.id, limit: 0 })).length, 1);

      const withFallback = await store.programs.update(
        made[0]!.id,
        { fallbackUrl: "https://x.example/" },
        NOW,
      );
      assert.equal(withFallback?.fallbackUrl, "https://x.example/");
      const cleared = await store.programs.update(made[0]!.id, { fallbackUrl: null }, NOW);
      assert.equal(cleared?.fallbackUrl, null);
    });

    test("affiliates and links: filters by affiliate, program and operator; getByCode", async () => {
      const operator = await store.operators.create(newOperator(), NOW);
      const other = await store.operators.create(newOperator(), NOW);
      const program = await store.programs.create(newProgram(operator.id), NOW);
      const otherProgram = await store.programs.create(newProgram(other.id), NOW);
      const affiliate = await store.affiliates.create({ name: "Ann", email: null, status: "active" }, NOW);
      assert.equal(affiliate.email, null);
      assert.deepEqual(await store.affiliates.list({ affiliateId: affiliate.id }), [affiliate]);
      const renamed = await store.affiliates.update(affiliate.id, { email: "ann@x.example" }, NOW + 1);
      assert.deepEqual(renamed, { ...affiliate, email: "ann@x.example", updatedAt: NOW + 1 });
      assert.deepEqual(await store.affiliates.get(affiliate.id), renamed);
      const link = (programId: number) =>
        store.links.create(
          {
            code: uniqueId("l"),
            affiliateId: affiliate.id,
            programId,
            status: "active",
            landingUrlTemplate: null,
          },
          NOW,
        );
      const l1 = await link(program.id);
      const l2 = await link(otherProgram.id);
      assert.deepEqual(await store.links.getByCode(l1.code), l1);
      assert.equal(await store.links.getByCode("missing"), undefined);
      assert.deepEqual(await store.links.list({ affiliateId: affiliate.id }), [l1, l2]);
      assert.deepEqual(await store.links.list({ programId: otherProgram.id }), [l2]);
      assert.deepEqual(await store.links.list({ operatorId: operator.id }), [l1]);
      const paused = await store.links.update(l1.id, { status: "paused" }, NOW + 1);
      assert.equal(paused?.status, "paused");
    });

    test("unique violations surface as UniqueViolationError (conflict)", async () => {
      const operator = await store.operators.create(newOperator(), NOW);
      await assertUniqueViolation(store.operators.create(newOperator({ key: operator.key }), NOW), "key");
      const other = await store.operators.create(newOperator(), NOW);
      await assertUniqueViolation(store.operators.update(other.id, { key: operator.key }, NOW), "key");
      const program = await store.programs.create(newProgram(operator.id), NOW);
      const affiliate = await store.affiliates.create(
        { name: "Bo", email: "bo@x.example", status: "active" },
        NOW,
      );
      const link = {
        code: uniqueId("l"),
        affiliateId: affiliate.id,
        programId: program.id,
        status: "active" as const,
      };
      await store.links.create({ ...link, landingUrlTemplate: null }, NOW);
      await assertUniqueViolation(store.links.create({ ...link, landingUrlTemplate: null }, NOW), "code");
      assert.equal((await store.links.list({ programId: program.id })).length, 1);
    });

    test("settings: the first value stored wins", async () => {
      const key = uniqueId("setting");
      assert.equal(await store.ensureSetting(key, "first"), "first");
      assert.equal(await store.ensureSetting(key, "second"), "first");
    });

    test("api keys: create, find by hash, list, revoke, count, touch", async () => {
      const operator = await store.operators.create(newOperator(), NOW);
      const before = await store.apiKeys.count();
      const hash = uniqueId("hash");
      const key = await store.apiKeys.create(
        { name: "ops", role: "operator", operatorId: operator.id, affiliateId: null, prefix: "pw_abc", hash },
        NOW,
      );
      assert.deepEqual(key, {
        id: key.id,
        name: "ops",
        role: "operator",
        operatorId: operator.id,
        affiliateId: null,
        prefix: "pw_abc",
        createdAt: NOW,
        lastUsedAt: null,
        revokedAt: null,
      });
      assert.deepEqual(await store.apiKeys.findByHash(hash), key);
      assert.deepEqual(await store.apiKeys.list({ operatorId: operator.id }), [key]);
      assert.equal(await store.apiKeys.count(), before + 1);
      await store.apiKeys.touch(key.id, NOW + 10);
      assert.equal((await store.apiKeys.findByHash(hash))?.lastUsedAt, NOW + 10);
      assert.equal((await store.apiKeys.revoke(key.id, NOW + 20))?.revokedAt, NOW + 20);
      assert.equal(
        (await store.apiKeys.revoke(key.id, NOW + 30))?.revokedAt,
        NOW + 20,
        "revoking twice keeps the first time",
      );
      assert.equal(await store.apiKeys.count(), before);
      assert.equal(await store.apiKeys.revoke(987_654, NOW), undefined);
      await assertUniqueViolation(
        store.apiKeys.create(
          { name: "dup", role: "admin", operatorId: null, affiliateId: null, prefix: "p", hash },
          NOW,
        ),
        "key_hash",
      );
    });
  });
}
