/**
 * The report activity fold job (background-jobs.ts foldJob) runs every second: a failure is logged
 * once, not every second, and its recovery once; the rows appended meanwhile are folded then.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openDriver } from "../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../src/adapters/storage/sql-driver.ts";
import type { Store } from "../../src/app/ports.ts";
import { foldJob, type JobLog } from "../../src/composition/background-jobs.ts";
import { createTestStore } from "../helpers/engines.ts";
import { clickRow } from "../helpers/records.ts";

let store: Store & { readonly url: string };
let db: SqlDriver;
before(async () => {
  store = await createTestStore("sqlite");
  db = openDriver(store.url);
});
after(async () => {
  await db.close();
  await store.close();
});

test("a failing fold is logged once until it works again, and then folds what waited", async () => {
  const lines: Array<[string, string]> = [];
  const log: JobLog = {
    info: (_fields, message) => lines.push(["info", message]),
    error: (_fields, message) => lines.push(["error", message]),
  };
  const run = foldJob(store, log);
  await store.insertClicks([clickRow()]);
  // A real failure: the deltas' table is away (renamed), so every fold fails.
  await db.run("ALTER TABLE report_activity_delta RENAME TO report_activity_delta_away");
  for (let i = 0; i < 3; i++) await run();
  assert.deepEqual(lines, [["error", "report activity folding failed; trying again every second"]]);
  await db.run("ALTER TABLE report_activity_delta_away RENAME TO report_activity_delta");
  await run();
  await run();
  assert.deepEqual(lines.slice(1), [["info", "report activity folding works again"]]);
  const [left] = await db.all("SELECT COUNT(*) AS n FROM report_activity_delta");
  assert.equal(Number(left!["n"]), 0, "the click appended during the failures was folded");
  const [folded] = await db.all("SELECT SUM(count) AS n FROM report_activity WHERE event = 'click'");
  assert.equal(Number(folded!["n"]), 1);
});
