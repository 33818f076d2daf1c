/**
 * Claiming due alert notifications (alert-store.ts `claim`) on both engines: each claimed
 * notification comes with its own alert and webhook, and the claim reads them in a fixed number of
 * statements, whatever the number of notifications (not one or two per notification).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../../src/adapters/storage/sql-driver.ts";
import { createSqlStore } from "../../../src/adapters/storage/sql-store.ts";
import type { AlertWebhook } from "../../../src/app/alerts/alert-port.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestDatabase, type TestDatabase } from "../../helpers/engines.ts";
import { type Recording, recordingDriver } from "../../helpers/recording-driver.ts";

const NOW = Date.parse("2026-11-02T10:00:00Z");

for (const engine of await availableEngines()) {
  describe(`claiming alert notifications (${engine})`, () => {
    let database: TestDatabase;
    let driver: SqlDriver;
    let store: Store;
    const recording: Recording = { seen: new Map(), by: "job", ran: [] };
    before(async () => {
      database = await createTestDatabase(engine);
      driver = openDriver(database.url);
      store = createSqlStore(recordingDriver(driver, recording));
      await store.migrate();
    });
    after(async () => {
      await driver.close();
      await database.drop();
    });

    test("six notifications of three alerts to two webhooks: each with its own, in a fixed number of statements", async () => {
      const hooks: AlertWebhook[] = [];
      for (const format of ["json", "slack"] as const)
        hooks.push(
          await store.alerts.webhooks.create(
            {
              name: format,
              url: `https://hooks.example/${format}`,
              format,
              secret: "whsec_x",
              status: "active",
            },
            NOW,
          ),
        );
      for (const n of [1, 2, 3])
        assert.ok(
          await store.alerts.open(
            {
              id: `al-${n}`,
              rule: "operator_silent",
              subjectKind: "operator",
              subjectId: n,
              subjectName: `Operator ${n}`,
              state: "firing",
              since: NOW - n,
              resolvedAt: null,
              figures: { n },
              link: `/operators/${n}`,
              createdAt: NOW,
              updatedAt: NOW,
            },
            hooks.map((h) => ({ id: `an-${n}-${h.id}`, webhookId: h.id, transition: "firing" as const })),
          ),
        );
      recording.ran!.length = 0;
      const claimed = await store.alerts.claim(NOW + 1, 60_000, 20);
      const statements = recording.ran!.filter((sql) => !/^(BEGIN|COMMIT|SAVEPOINT|RELEASE)/i.test(sql));
      assert.deepEqual(
        claimed
          .map(
            (c) =>
              `${c.id} ${c.alert.id} ${c.alert.subjectName} ${c.webhook.id} ${c.webhook.format} ${c.attempts}`,
          )
          .sort(),
        [1, 2, 3]
          .flatMap((n) => hooks.map((h) => `an-${n}-${h.id} al-${n} Operator ${n} ${h.id} ${h.format} 1`))
          .sort(),
      );
      assert.ok(statements.length <= 4, `${statements.length} statements:\n${statements.join("\n")}`);
      assert.deepEqual(await store.alerts.claim(NOW + 2, 60_000, 20), [], "leased: not claimed twice");
    });
  });
}
