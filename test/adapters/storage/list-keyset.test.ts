/**
 * Newest-first lists page by keyset: a page starts after the (time, id) of the previous page's last
 * row, so rows that share a timestamp are neither repeated nor skipped, on both engines.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Store } from "../../../src/app/ports.ts";
import type { TimeKey } from "../../../src/app/records.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { clickRow, requestLogRow, uniqueId } from "../../helpers/records.ts";

/** Every row of a list, read `size` at a time through `before`. */
async function pages<T>(read: (before: TimeKey | undefined) => Promise<T[]>, keyOf: (row: T) => TimeKey) {
  const all: T[] = [];
  let before: TimeKey | undefined;
  for (;;) {
    const page = await read(before);
    all.push(...page);
    if (page.length === 0) return all;
    before = keyOf(page.at(-1)!);
  }
}

for (const engine of await availableEngines()) {
  describe(`keyset pages (${engine})`, () => {
    let store: Store & { url: string };
    before(async () => {
      store = await createTestStore(engine);
    });
    after(() => store.close());

    test("request log and clicks: rows sharing a time each come once, newest first", async () => {
      const t = Date.UTC(2026, 5, 1);
      // Seven rows, five of them in the same millisecond.
      const times = [t + 2, t + 1, t + 1, t + 1, t + 1, t + 1, t];
      const operatorId = 900 + Math.floor(Math.random() * 1000);
      const logs = times.map((receivedAt) => requestLogRow({ id: uniqueId("rq"), receivedAt, operatorId }));
      await store.insertRequestLogs(logs);
      const read = await pages(
        (before) => store.searchRequestLog({ operatorId, limit: 2, ...(before ? { before } : {}) }),
        (row) => ({ at: row.receivedAt, id: row.id }),
      );
      const expected = [...logs].sort((a, b) => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1));
      assert.deepEqual(
        read.map((r) => r.id),
        expected.map((r) => r.id),
      );

      const linkId = operatorId;
      const clicks = times.map((createdAt) => clickRow({ clickId: uniqueId("ck"), createdAt, linkId }));
      await store.insertClicks(clicks);
      const clicked = await pages(
        (before) => store.listClicks({ linkId, limit: 3, ...(before ? { before } : {}) }),
        (row) => ({ at: row.createdAt, id: row.clickId }),
      );
      assert.deepEqual(
        clicked.map((c) => c.clickId),
        [...clicks]
          .sort((a, b) => b.createdAt - a.createdAt || (a.clickId < b.clickId ? 1 : -1))
          .map((c) => c.clickId),
      );
    });
  });
}
