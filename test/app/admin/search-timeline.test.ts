/**
 * The console's search (conversion-timeline.ts searchTimeline) on both engines: a txid or player id
 * is found at every operator the viewer sees, in a number of statements that does not grow with the
 * number of operators; an operator key searches its own operator, an affiliate key sees its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { createSqlStore } from "../../../src/adapters/storage/sql-store.ts";
import { searchTimeline } from "../../../src/app/admin/conversion-timeline.ts";
import type { AdminDeps } from "../../../src/app/admin/deps.ts";
import { Catalog } from "../../../src/app/catalog.ts";
import type { Store } from "../../../src/app/ports.ts";
import type { Principal } from "../../../src/domain/model.ts";
import { availableEngines, createTestDatabase, type TestDatabase } from "../../helpers/engines.ts";
import { type Recording, recordingDriver } from "../../helpers/recording-driver.ts";
import { conversionRow, insertConversions } from "../../helpers/records.ts";
import { createFixture, type Fixture } from "../../helpers/service.ts";

const OPERATORS = 12;

for (const engine of await availableEngines()) {
  describe(`search by txid and player id (${engine})`, () => {
    let database: TestDatabase;
    let driver: SqlDriver;
    let store: Store;
    let deps: AdminDeps;
    let fixtures: Fixture[];
    const recording: Recording = { seen: new Map(), by: "request", ran: [] };
    const ids: Record<string, string> = {};

    before(async () => {
      database = await createTestDatabase(engine);
      driver = openDriver(database.url);
      store = createSqlStore(recordingDriver(driver, recording));
      await store.migrate();
      deps = {
        store,
        catalog: new Catalog(store, systemClock),
        clock: systemClock,
        ids: createIds(),
        publicUrl: "https://pw.example",
      };
      fixtures = [];
      for (let i = 0; i < OPERATORS; i++) fixtures.push(await createFixture(store));
      // The same txid and player id at two operators (each operator's own namespace).
      for (const [name, f, at] of [
        ["third", fixtures[2]!, 1_760_000_000_000],
        ["tenth", fixtures[9]!, 1_760_000_100_000],
      ] as const) {
        const row = conversionRow({
          operatorId: f.operator.id,
          programId: f.program.id,
          affiliateId: f.affiliate.id,
          linkId: f.link.id,
          txid: "tx-shared",
          playerId: "pl-shared",
          occurredAt: at,
        });
        ids[name] = row.id;
        await store.ingest((tx) => insertConversions(tx, [row]));
      }
      // One player's five events carrying one click id, and an event of theirs without it.
      const f = fixtures[4]!;
      const own = (n: number, clickId: string | null) =>
        conversionRow({
          operatorId: f.operator.id,
          programId: f.program.id,
          affiliateId: f.affiliate.id,
          linkId: f.link.id,
          clickId,
          event: n === 0 ? "ftd" : "deposit",
          playerId: "pl-clicked",
          occurredAt: 1_760_000_000_000 + n,
        });
      const clicked = [0, 1, 2, 3, 4].map((n) => own(n, "ck-shared"));
      const later = own(5, null);
      ids["clicked"] = clicked.map((c) => c.id).join(" ");
      ids["later"] = later.id;
      await store.ingest((tx) => insertConversions(tx, [...clicked, later]));
    });
    after(async () => {
      await driver.close();
      await database.drop();
    });

    const found = async (principal: Principal, q: string) => {
      recording.ran!.length = 0;
      const result = await searchTimeline(deps, principal, q);
      return { ids: result.conversions.map((c) => c.id), statements: recording.ran!.length };
    };
    const admin: Principal = { keyId: 1, role: "admin", operatorId: null, affiliateId: null };

    test("an admin finds both, newest first, in a few statements for any number of operators", async () => {
      for (const q of ["tx-shared", "pl-shared"]) {
        const { ids: hits, statements } = await found(admin, q);
        assert.deepEqual(hits, [ids["tenth"], ids["third"]], q);
        assert.ok(statements <= 6, `${q}: ${statements} statements for ${OPERATORS} operators`);
      }
      assert.deepEqual((await found(admin, "tx-nowhere")).ids, []);
    });

    test("a click id: the conversions carrying it and their player's other events, the player read once", async () => {
      const { ids: hits, statements } = await found(admin, "ck-shared");
      assert.deepEqual(hits, [ids["later"], ...ids["clicked"]!.split(" ").reverse()]);
      assert.ok(statements <= 6, `${statements} statements for five conversions of one player`);
    });

    test("an operator key finds its own; an affiliate key its own", async () => {
      const operator: Principal = {
        keyId: 2,
        role: "operator",
        operatorId: fixtures[9]!.operator.id,
        affiliateId: null,
      };
      const affiliate: Principal = {
        keyId: 3,
        role: "affiliate",
        operatorId: null,
        affiliateId: fixtures[2]!.affiliate.id,
      };
      for (const q of ["tx-shared", "pl-shared"]) {
        assert.deepEqual((await found(operator, q)).ids, [ids["tenth"]], q);
        assert.deepEqual((await found(affiliate, q)).ids, [ids["third"]], q);
      }
    });
  });
}
