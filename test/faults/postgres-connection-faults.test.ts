/**
 * Postwire on PostgreSQL behind the tests' own TCP proxy, faulted while it serves: connections
 * reset under postbacks in flight, connections stalled, new connections refused, a connection lost
 * after COMMIT was sent and one lost before. Each time: the process keeps running (an unhandled
 * 'error' would end this test process), every answer is 200 (committed) or 503 with Retry-After,
 * /readyz says not ready while the database cannot take writes and ready again after, and once the
 * operator has retried, every txid is one conversion with one ledger entry and its deliveries.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, hasPostgres, type TestDatabase } from "../helpers/engines.ts";
import { eventually } from "../helpers/eventually.ts";
import {
  assertCommittedOrUnavailable,
  assertExactlyOnce,
  type FaultService,
  type PayingWorld,
  payingWorld,
  retryUntilStored,
  sendFtd,
  startFaultService,
  underFault,
} from "./fault-kit.ts";

describe("PostgreSQL connection faults while serving", {
  skip: !(await hasPostgres()),
  timeout: 120_000,
}, () => {
  let database: TestDatabase;
  let f: FaultService;
  let world: PayingWorld;
  const readyz = async () => (await fetch(`${f.url}/readyz`)).status;

  before(async () => {
    database = await createTestDatabase("postgres");
    f = await startFaultService(database.url);
    world = await payingWorld(f);
  });
  after(async () => {
    await f?.close();
    await database?.drop();
  });

  test("connections reset under postbacks in flight: 200 or 503, then exactly once after retries", async () => {
    const txids = Array.from({ length: 20 }, (_, i) => `reset-${i}`);
    // Stalled first, so the postbacks are surely in flight on checked-out connections when reset.
    f.proxy.stall(true);
    const heldBefore = f.proxy.held;
    const replies = Promise.all(txids.map((txid) => sendFtd(f.url, world, txid)));
    await eventually(() => f.proxy.held > heldBefore, { what: "a statement waiting on the database" });
    f.proxy.resetAll();
    f.proxy.stall(false);
    const answers = await replies;
    for (const [i, reply] of answers.entries()) assertCommittedOrUnavailable(reply, txids[i]!);
    assert.ok(
      answers.some((reply) => reply.status === 503),
      "the batch on the reset connection got 503",
    );
    for (const txid of txids) await retryUntilStored(f.url, world, txid);
    assert.equal(await readyz(), 200);
    await assertExactlyOnce(f, world, txids);
  });

  test("a stalled database: 503 after the statement deadline, not ready, admin 503; all back after", async () => {
    const stall = () => {
      f.proxy.stall(true);
      return () => f.proxy.stall(false);
    };
    await underFault(f, world, "stall-1", stall, async () => {
      assertCommittedOrUnavailable(await sendFtd(f.url, world, "stall-1"), "stall-1");
      assert.equal(await readyz(), 503);
      const read = await f.admin("GET", `/v1/operators/${world.operator.id}`);
      assert.equal(read.status, 503, JSON.stringify(read.body));
      assert.equal(read.body.code, "storage_unavailable");
      // Metrics still answer (the skew, the attempt counters); the backlog, read from the database, is NaN.
      const metrics = await fetch(`${f.url}/metrics`);
      assert.equal(metrics.status, 200);
      // prom-client writes NaN as "Nan"; Prometheus parses it either way.
      assert.match(await metrics.text(), /^postwire_delivery_due_backlog nan$/im);
    });
  });

  test("new connections refused: not ready and 503; ready and storing again once accepted", async () => {
    const refuse = () => {
      f.proxy.refuse(true);
      f.proxy.resetAll();
      return () => f.proxy.refuse(false);
    };
    await underFault(f, world, "refused-1", refuse, async () => {
      assert.equal(await readyz(), 503);
      assertCommittedOrUnavailable(await sendFtd(f.url, world, "refused-1"), "refused-1");
      // A click cannot be stored either: the visitor gets the "try again" page, with Retry-After.
      const click = await fetch(`${f.url}/c/${world.link.code}`, { redirect: "manual" });
      assert.equal(click.status, 503);
      assert.equal(click.headers.get("retry-after"), "5");
    });
  });

  test("the connection lost after COMMIT reached the server: 503, and the retry is the one conversion (a replay)", async () => {
    const cut = f.proxy.cutAtNextCommit({ marker: "ambiguous-after" });
    const first = await sendFtd(f.url, world, "ambiguous-after");
    await cut;
    assert.equal(first.status, 503, JSON.stringify(first));
    assert.ok(Number(first.retryAfter) > 0);
    const retry = await retryUntilStored(f.url, world, "ambiguous-after");
    assert.equal(retry.code, "duplicate", "it had been committed");
    assert.equal(retry.replayed, "true");
    await assertExactlyOnce(f, world, ["ambiguous-after"]);
  });

  test("the connection lost before COMMIT reached the server: 503, and the retry stores it", async () => {
    const cut = f.proxy.cutAtNextCommit({ marker: "ambiguous-before", forward: false });
    const first = await sendFtd(f.url, world, "ambiguous-before");
    await cut;
    assert.equal(first.status, 503, JSON.stringify(first));
    const retry = await retryUntilStored(f.url, world, "ambiguous-before");
    assert.equal(retry.code, "accepted", "it had not been committed");
    await assertExactlyOnce(f, world, ["ambiguous-before"]);
  });
});
