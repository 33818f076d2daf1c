/**
 * Storage down: the ingest use case answers 503 storage_unavailable with Retry-After and never a
 * 2xx, whether the store fails at look-up, at commit, or cannot be reached at all.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { availableEngines, createTestDatabase, type Engine } from "../../helpers/engines.ts";
import {
  batchingFor,
  createIngestor,
  getRequest,
  OPEN_AUTH,
  parseAnswer,
} from "../../helpers/ingest-harness.ts";
import { createFixture } from "../../helpers/service.ts";

for (const engine of await availableEngines()) {
  describe(`storage down (${engine})`, () => {
    test("a closed store answers 503 storage_unavailable with Retry-After, never 2xx", async () => {
      await assertUnavailableAfterClose(engine, false);
    });
    test("a store failing at commit (catalog still cached) answers 503, never 2xx", async () => {
      await assertUnavailableAfterClose(engine, true);
    });
    if (engine === "postgres") {
      test("a PostgreSQL that cannot be reached answers 503", async () => {
        const store = openStore("postgres://postgres@127.0.0.1:1/postwire");
        try {
          const ingestor = createIngestor(store, randomBytes(32), batchingFor(engine));
          const answer = parseAnswer(
            await ingestor.handle(getRequest("op_any", { event: "ftd", txid: "t" })),
          );
          assert.equal(answer.status, 503);
          assert.equal(answer.body["code"], "storage_unavailable");
          assert.ok(answer.retryAfter !== undefined && answer.retryAfter > 0);
        } finally {
          await store.close();
        }
      });
    }
  });
}

async function assertUnavailableAfterClose(engine: Engine, warm: boolean): Promise<void> {
  const database = await createTestDatabase(engine);
  const store = openStore(database.url);
  try {
    await store.migrate();
    const fixture = await createFixture(store, { auth: OPEN_AUTH });
    const ingestor = createIngestor(store, randomBytes(32), batchingFor(engine));
    const send = async (id: string) =>
      parseAnswer(
        await ingestor.handle(getRequest(fixture.operator.key, { event: "registration", txid: id })),
      );
    if (warm) assert.equal((await send("warm-up")).status, 200);
    await store.close();
    const answers = await Promise.all(["a", "b", "c"].map(send));
    for (const answer of answers) {
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body["code"], "storage_unavailable");
      assert.ok(answer.retryAfter !== undefined && answer.retryAfter > 0);
    }
  } finally {
    await database.drop();
  }
}
