/**
 * Scale-out on one PostgreSQL, with real processes. Two Postwire processes share the database and
 * the traffic; one is killed with SIGKILL mid-load and started again. Every postback acknowledged
 * is stored exactly once (those that failed are retried by the "operator" on the other process),
 * the ledger is exact, every delivery is sent at least once with the same id on a repeat, and none
 * is sent twice by live processes: a repeat only follows the killed process's send, a lease later.
 * Then `serve --workers 2`: two workers share one listener, and SIGTERM drains them both.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import { client } from "../adapters/http/admin-kit.ts";
import { createTestDatabase, hasPostgres, type TestDatabase } from "../helpers/engines.ts";
import { eventually } from "../helpers/eventually.ts";
import { freePort, type PostwireProcess, startPostwire } from "../helpers/postwire-process.ts";
import { assertExactlyOnce, type PayingWorld, payingWorld, sendFtd } from "./fault-kit.ts";

const ADMIN_KEY = `pw_${"scaleout".repeat(5)}`;
const LEASE_MS = 3000;

describe("scale-out: processes sharing one PostgreSQL", {
  skip: !(await hasPostgres()),
  timeout: 180_000,
}, () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let direct: pg.Pool;
  const processes: PostwireProcess[] = [];
  let env: Record<string, string>;

  before(async () => {
    database = await createTestDatabase("postgres");
    receiver = await startReceiver();
    direct = new pg.Pool({ connectionString: database.url, max: 2 });
    direct.on("error", () => undefined);
    env = {
      DATABASE_URL: database.url,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: "warn",
      PG_POOL_SIZE: "4",
      DELIVERY_ALLOW: "127.0.0.1",
      DISPATCH_INTERVAL_MS: "50",
      DELIVERY_TIMEOUT_MS: "2000",
      DELIVERY_LEASE_MS: String(LEASE_MS),
      DELIVERY_CONCURRENCY: "8",
    };
  });
  after(async () => {
    for (const p of processes) if (p.alive()) p.child.kill("SIGKILL");
    await receiver?.close();
    await direct?.end();
    await database?.drop();
  });

  test("one of two processes killed mid-load and restarted: nothing lost, nothing doubled", async (t) => {
    const ports = [await freePort(), await freePort()];
    const a = await startPostwire(ports[0]!, env);
    const b = await startPostwire(ports[1]!, env);
    processes.push(a, b);
    const urls = [a.url, b.url];
    const f = { admin: client(a.url, ADMIN_KEY), url: a.url, receiver, direct };
    const world: PayingWorld = await payingWorld(f);

    // Four "operators" send fresh txids, alternating between the processes; a failure (the killed
    // process, a 503) is retried with the same txid on the other one until it is acknowledged.
    const acked: string[] = [];
    let stop = false;
    let sent = 0;
    let retried = 0;
    const sender = async (s: number) => {
      for (let i = 0; !stop; i++) {
        const txid = `so-${s}-${i}`;
        for (let target = (s + i) % 2; ; target = 1 - target) {
          const reply = await sendFtd(urls[target]!, world, txid).catch(() => undefined);
          if (reply?.status === 200) break;
          retried++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        acked.push(txid);
        sent++;
        // A steady trickle, not a flood: the suite runs other test files beside this one.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    await eventually(() => sent >= 100, { timeoutMs: 60_000, what: "100 postbacks" });
    // Slow answers for a moment, so the process killed has deliveries in flight.
    receiver.script = [{ status: 200, delayMs: 300 }];
    await eventually(() => receiver.hits.length >= sent - 10, { timeoutMs: 30_000, what: "deliveries" });
    const killedAt = performance.now();
    b.child.kill("SIGKILL");
    assert.equal(await b.exited, "SIGKILL");
    receiver.script = [{ status: 200 }];
    await eventually(() => sent >= 150, { timeoutMs: 60_000, what: "traffic on the survivor" });
    const b2 = await startPostwire(ports[1]!, env);
    processes.push(b2);
    const mark = sent;
    await eventually(() => sent >= mark + 100, { timeoutMs: 60_000, what: "traffic after the restart" });
    stop = true;
    await Promise.all(senders);
    assert.ok(a.alive(), "the surviving process never exited");
    assert.ok(retried > 0, "the kill cut some postbacks off: they were retried on the other process");

    // Each acknowledged txid: one conversion, one CPA ledger entry, one delivery, delivered.
    await assertExactlyOnce(f, world, acked);
    const [ledger] = (
      await direct.query<{ n: string; total: string }>(
        "SELECT COUNT(*) AS n, SUM(amount_minor) AS total FROM ledger_entries WHERE affiliate_id = $1",
        [world.affiliate.id],
      )
    ).rows;
    assert.deepEqual([Number(ledger!.n), Number(ledger!.total)], [acked.length, acked.length * 10_000]);

    // Repeats: only of sends the killed process may have made, and a lease after the first send.
    const hits = new Map<string, number[]>();
    for (const hit of receiver.hits) {
      const id = new URL(hit.url, "http://x").searchParams.get("d")!;
      hits.set(id, [...(hits.get(id) ?? []), hit.at]);
    }
    const repeated = [...hits].filter(([, at]) => at.length > 1);
    for (const [id, at] of repeated) {
      assert.equal(at.length, 2, `${id} sent ${at.length} times`);
      assert.ok(at[0]! < killedAt + 1000, `${id}: its first send was before the kill`);
      assert.ok(at[1]! - at[0]! >= LEASE_MS - 1000, `${id}: sent again only once its lease had run out`);
    }
    assert.ok(repeated.length <= 8, `at most the killed process's ${8} sends in flight: ${repeated.length}`);
    t.diagnostic(
      `${acked.length} postbacks acknowledged, ${retried} tries failed and were retried, ${hits.size} deliveries sent, ${repeated.length} sent twice (after the kill)`,
    );

    for (const p of [a, b2]) p.child.kill("SIGTERM");
    assert.deepEqual(await Promise.all([a.exited, b2.exited]), [0, 0], "both drained and exited 0");
  });

  test("serve --workers 2: two workers on one listener; SIGTERM drains both, exit 0", async () => {
    const port = await freePort();
    const primary = await startPostwire(port, { ...env, LOG_LEVEL: "info" }, ["--workers", "2"]);
    processes.push(primary);
    await eventually(
      () =>
        new Set(primary.logs.filter((l) => l["msg"] === "postwire listening").map((l) => l["pid"])).size ===
        2,
      { timeoutMs: 30_000, what: "two workers listening" },
    );
    const f = { admin: client(primary.url, ADMIN_KEY), url: primary.url, receiver, direct };
    const world = await payingWorld(f);
    const txids = Array.from({ length: 40 }, (_, i) => `workers-${i}`);
    const replies = await Promise.all(txids.map((txid) => sendFtd(primary.url, world, txid)));
    for (const reply of replies) assert.equal(reply.status, 200);
    await assertExactlyOnce(f, world, txids);
    // Postbacks in flight when the stop signal comes: each one answered is 200 and stored, or 503.
    const late = txids.map((txid) => `${txid}-late`);
    const inFlight = Promise.allSettled(late.map((txid) => sendFtd(primary.url, world, txid)));
    primary.child.kill("SIGTERM");
    const answers = await inFlight;
    assert.equal(await primary.exited, 0);
    const stopped = primary.logs.filter((l) => l["msg"] === "shutting down: draining in-flight requests");
    assert.equal(new Set(stopped.map((l) => l["pid"])).size, 2, "each worker drained");
    const stored = late.filter((_, i) => {
      const answer = answers[i]!;
      if (answer.status === "rejected") return false;
      assert.ok(answer.value.status === 200 || answer.value.status === 503, String(answer.value.status));
      return answer.value.status === 200;
    });
    const rows = await direct.query("SELECT txid FROM conversions WHERE txid = ANY($1::text[])", [stored]);
    assert.equal(rows.rows.length, stored.length, "every postback answered 200 during the stop is stored");
  });
});
