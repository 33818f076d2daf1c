/**
 * An upload compared in the service's own thread (reconcile-upload.ts without worker threads, as
 * for an in-memory SQLite database): the file spooled, read back, compared and its rows written
 * through the service's connection; the spooled file removed after.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createIds, systemClock } from "../../../src/adapters/clock-and-ids.ts";
import { reconcileUpload } from "../../../src/adapters/files/reconcile-upload.ts";
import type { Store } from "../../../src/app/ports.ts";
import { availableEngines, createTestStore } from "../../helpers/engines.ts";
import { createFixture } from "../../helpers/service.ts";

const principal = { role: "admin", keyId: 1, operatorId: null, affiliateId: null } as const;
const DAY = 86_400_000;

for (const engine of await availableEngines()) {
  describe(`reconciliation upload in the service's thread (${engine})`, () => {
    let store: Store;
    let operatorId: number;
    // Uploads spooled in a directory of this test's own (tmpdir() follows TMPDIR).
    const tmpBefore = process.env["TMPDIR"];
    const spoolDir = mkdtempSync(path.join(tmpdir(), "postwire-upload-test-"));
    before(async () => {
      store = await createTestStore(engine);
      operatorId = (await createFixture(store)).operator.id;
      process.env["TMPDIR"] = spoolDir;
    });
    after(async () => {
      if (tmpBefore === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = tmpBefore;
      rmSync(spoolDir, { recursive: true, force: true });
      await store.close();
    });

    test("the file's rows compared and written, the spooled file removed", async () => {
      const at = new Date(Date.now() - 1000).toISOString();
      const csv = `event,txid,amount,currency,occurred_at\r\nftd,t1,5.00,EUR,${at}\r\nftd,t2,5.00,EUR\r\nftd,t1,5.00,EUR,${at}\r\n`;
      const run = await reconcileUpload({ store, clock: systemClock, ids: createIds() }, principal, {
        operatorId,
        from: Date.now() - DAY,
        to: Date.now() + DAY,
        format: "csv",
        body: Readable.from([Buffer.from(csv)]),
      });
      assert.equal(run.status, "done");
      assert.equal(run.fileBytes, Buffer.byteLength(csv));
      const rows = await store.reconciliations.rows(run.id, { limit: 10 });
      assert.deepEqual(
        rows.map((r) => [r.seq, r.category, r.line]),
        [
          [1, "missing", 2],
          [2, "malformed", 3],
          [3, "duplicate", 4],
        ],
      );
      assert.deepEqual(readdirSync(spoolDir), [], "the spooled file is removed");
    });
  });
}
