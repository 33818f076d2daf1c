/**
 * A Postwire process started while its PostgreSQL refuses connections does not exit: it says so in
 * its log, tries again (backing off), and serves once the database accepts connections; its
 * connections reset under it do not end it either.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, hasPostgres, type TestDatabase } from "../helpers/engines.ts";
import { eventually } from "../helpers/eventually.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { freePort, type PostwireProcess, startPostwire } from "../helpers/postwire-process.ts";

describe("starting before the database", { skip: !(await hasPostgres()), timeout: 60_000 }, () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let postwire: PostwireProcess | undefined;
  before(async () => {
    database = await createTestDatabase("postgres");
    const url = new URL(database.url);
    proxy = await startFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  after(async () => {
    postwire?.child.kill("SIGKILL");
    await proxy?.close();
    await database?.drop();
  });

  test("waits for the database, then serves; never exits", async () => {
    proxy.refuse(true);
    const starting = startPostwire(await freePort(), { DATABASE_URL: proxy.url(database.url) });
    let settled = false;
    void starting.finally(() => {
      settled = true;
    });
    // Refused for a while: still starting (waiting), not gone.
    await eventually(() => proxy.accepted >= 2, { timeoutMs: 20_000, what: "two tries at the database" });
    assert.equal(settled, false, "not ready, not exited");
    proxy.refuse(false);
    const running = await starting;
    postwire = running;
    assert.ok(running.alive());
    assert.ok(
      running.logs.some((line) => line["msg"] === "the database is unavailable at start; trying again"),
      JSON.stringify(running.logs.slice(0, 5)),
    );
    // Its connections reset under it while idle and while serving: it stays, and serves again.
    for (let round = 0; round < 3; round++) {
      proxy.resetAll();
      await fetch(`${running.url}/readyz`).catch(() => undefined);
    }
    await eventually(async () => (await fetch(`${running.url}/readyz`)).status === 200, { what: "ready" });
    assert.ok(running.alive(), "connection resets did not end the process");
    running.child.kill("SIGTERM");
    assert.equal(await running.exited, 0);
  });
});
