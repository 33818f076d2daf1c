import assert from "node:assert/strict";
import { test } from "node:test";
import { dryRun } from "../../src/app/dry-run.ts";
import type { IngestTx } from "../../src/app/ingest/ingest-port.ts";
import { createTestStore } from "../helpers/engines.ts";
import { conversionRow, insertConversions } from "../helpers/records.ts";
import { createFixture } from "../helpers/service.ts";

test("a dry run returns what it computed and leaves nothing behind (a real SQLite transaction)", async () => {
  const store = await createTestStore("sqlite");
  try {
    const f = await createFixture(store);
    const row = conversionRow({
      operatorId: f.operator.id,
      programId: f.program.id,
      affiliateId: f.affiliate.id,
    });
    const made = await dryRun(
      (work) => store.ingest(work),
      async (tx: IngestTx) => {
        await insertConversions(tx, [row]);
        return "computed";
      },
    );
    assert.equal(made, "computed");
    assert.equal(await store.getConversion(row.id), undefined, "rolled back");
    // The same work committed for real stores the row: the check above could fail.
    await store.ingest((tx) => insertConversions(tx, [row]));
    assert.equal((await store.getConversion(row.id))?.id, row.id);
  } finally {
    await store.close();
  }
});

test("errors of the work and of the transaction propagate; a transaction that commits is an error", async () => {
  const failing = new Error("the work failed");
  await assert.rejects(
    dryRun(
      (work) => work(),
      async () => {
        throw failing;
      },
    ),
    (error) => error === failing,
  );
  const refused = new Error("no connection");
  await assert.rejects(
    dryRun(
      async () => {
        throw refused;
      },
      async () => 1,
    ),
    (error) => error === refused,
  );
  // A "transaction" that swallows the rollback and commits: the dry run says so.
  await assert.rejects(
    dryRun(
      async (work) => work().catch(() => undefined),
      async () => 1,
    ),
    /committed instead of rolling back/,
  );
});
