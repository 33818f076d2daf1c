/** Retention on both engines: prune deletes only older rows, in chunks, past one chunk. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { availableEngines, createTestDatabase, createTestStore } from "../../helpers/engines.ts";
import { clickRow, requestLogRow, uniqueId } from "../../helpers/records.ts";

for (const engine of await availableEngines()) {
  describe(`retention (${engine})`, () => {
    test("prune deletes only older rows, in chunks, past one chunk", async () => {
      const database = await createTestDatabase(engine);
      const store = openStore(database.url, { pruneChunk: 3 });
      try {
        await store.migrate();
        const cutoff = 1_000_000;
        const oldLogs = Array.from({ length: 10 }, (_, i) => requestLogRow({ receivedAt: cutoff - 1 - i }));
        const keptLogs = [requestLogRow({ receivedAt: cutoff }), requestLogRow({ receivedAt: cutoff + 5 })];
        const oldClicks = Array.from({ length: 6 }, (_, i) => clickRow({ createdAt: cutoff - 100 - i }));
        const keptClicks = [clickRow({ createdAt: cutoff }), clickRow({ createdAt: cutoff + 1 })];
        await store.insertRequestLogs([...oldLogs, ...keptLogs]);
        await store.insertClicks([...oldClicks, ...keptClicks]);

        assert.deepEqual(await store.prune({ requestLog: cutoff, clicks: cutoff }), {
          requestLog: 10,
          clicks: 6,
        });
        assert.deepEqual(
          (await store.searchRequestLog({})).map((r) => r.id).sort(),
          keptLogs.map((r) => r.id).sort(),
        );
        assert.deepEqual(
          (await store.listClicks({})).map((r) => r.clickId).sort(),
          keptClicks.map((r) => r.clickId).sort(),
        );
        assert.deepEqual(await store.prune({ requestLog: cutoff, clicks: cutoff }), {
          requestLog: 0,
          clicks: 0,
        });
        // Separate cut-offs per table.
        assert.deepEqual(await store.prune({ requestLog: cutoff + 1, clicks: 0 }), {
          requestLog: 1,
          clicks: 0,
        });
      } finally {
        await store.close();
        await database.drop();
      }
    });

    test("traces and signature evidence are pruned with the request log, in chunks", async () => {
      const database = await createTestDatabase(engine);
      const store = openStore(database.url, { pruneChunk: 2 });
      try {
        await store.migrate();
        const cutoff = 2_000_000;
        const times = [cutoff - 3, cutoff - 2, cutoff - 1, cutoff, cutoff + 1];
        const ids = times.map(() => uniqueId("rq"));
        await store.traces.insert(
          times.map((receivedAt, i) => ({
            requestLogId: ids[i]!,
            operatorId: 1,
            receivedAt,
            mode: "test" as const,
            trace: "{}",
          })),
        );
        await store.traces.insertSignatureEvidence(
          times.map((receivedAt, i) => ({
            requestLogId: ids[i]!,
            operatorId: 1,
            receivedAt,
            material: "{}",
          })),
        );
        await store.prune({ requestLog: cutoff, clicks: 0 });
        const kept = async (id: string) => [
          (await store.traces.get(id)) !== undefined,
          (await store.traces.signatureEvidence(id)) !== undefined,
        ];
        for (const [i, id] of ids.entries())
          assert.deepEqual(await kept(id), times[i]! < cutoff ? [false, false] : [true, true], `row ${i}`);
      } finally {
        await store.close();
        await database.drop();
      }
    });

    test("prune with the default chunk on a store of a few rows", async () => {
      const store = await createTestStore(engine);
      try {
        await store.insertRequestLogs([requestLogRow({ receivedAt: 5, id: uniqueId("rq") })]);
        assert.deepEqual(await store.prune({ requestLog: 6, clicks: 6 }), { requestLog: 1, clicks: 0 });
      } finally {
        await store.close();
      }
    });
  });
}
