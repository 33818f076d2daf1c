/**
 * A bug inside the pipeline is a 500 `internal_error` that names nothing internal, is logged in
 * the request log, and stores no conversion. Built with buildServer() and app.inject().
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { buildServer } from "../../../src/adapters/http/build-server.ts";
import { Catalog } from "../../../src/app/catalog.ts";
import { createClickRecorder } from "../../../src/app/clicks/record-click.ts";
import { createPostbackIngestor } from "../../../src/app/ingest/ingest-postback.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture } from "../../helpers/service.ts";
import { ftd, signedQuery } from "./postback-kit.ts";

for (const engine of await availableEngines()) {
  test(`an unexpected error → 500 internal_error, no internals, logged, nothing stored (${engine})`, {
    timeout: 30_000,
  }, async () => {
    const store = await createTestStore(engine);
    const ids = createIds();
    const batching = { maxBatch: 64, concurrency: 1, maxPending: 100 };
    const catalog = new Catalog(store, systemClock);
    const real = createPostbackIngestor({
      store,
      catalog,
      clock: systemClock,
      ids,
      clickSecrets: [],
      batching,
    });
    const ingestor = {
      ...real,
      handle: async () => {
        throw new Error("relation conversions_secret_internal does not exist");
      },
    };
    const clicks = createClickRecorder({
      store,
      catalog,
      clock: systemClock,
      ids,
      clickSecret: Buffer.alloc(32, 1),
      ipPrivacy: "truncate",
      ipSalt: Buffer.alloc(32, 2),
      trustedProxies: undefined,
      batching,
    });
    const app = await buildServer({
      store,
      catalog,
      clock: systemClock,
      ids,
      ingestor,
      clicks,
      publicUrl: "http://localhost",
      bodyLimitBytes: 65_536,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      logLevel: "silent",
      isDraining: () => false,
    });
    try {
      const f = await createFixture(store);
      const response = await app.inject(
        `/v1/postback/${f.operator.key}?${signedQuery(f.secret, ftd("i-1"))}`,
      );
      assert.equal(response.statusCode, 500);
      assert.deepEqual(response.json(), { code: "internal_error", message: "Internal error." });
      assert.doesNotMatch(response.body, /conversions_secret_internal/);
      const logs = await store.searchRequestLog({ operatorId: f.operator.id });
      assert.equal(logs.length, 1);
      assert.equal(logs[0]!.code, "internal_error");
      assert.equal(logs[0]!.status, 500);
      assert.equal((await store.listConversions({ operatorId: f.operator.id })).length, 0);
    } finally {
      await app.close();
      await real.drain();
      await store.close();
    }
  });
}
