/**
 * Postwire on a private PostgreSQL cluster of the test's own that is restarted (fast shutdown:
 * sessions terminated), crashed (immediate stop) and made read-only, while postbacks keep
 * arriving. The process keeps running, every answer is 200 (committed) or 503 with Retry-After,
 * /readyz says not ready while the server takes no writes and ready once it does, without a
 * restart of Postwire; after the operator's retries every txid is stored exactly once, with its
 * ledger entry and its deliveries delivered.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { eventually } from "../helpers/eventually.ts";
import { type PrivatePostgres, postgresBinaries, startPrivatePostgres } from "../helpers/private-postgres.ts";
import {
  assertCommittedOrUnavailable,
  assertExactlyOnce,
  type FaultService,
  type PayingWorld,
  type PostbackReply,
  payingWorld,
  retryUntilStored,
  sendFtd,
  startFaultService,
} from "./fault-kit.ts";

const missing = process.env["CI"] === "true" ? undefined : postgresBinaries() ? undefined : "no initdb here";

// Three times in full-suite runs (never alone), after this file's tests had all passed, its process
// spun for minutes in Node's exit clean-up (gdb: node::Environment::CleanupHandles calling uv_run
// in a loop; no syscalls, no JavaScript running). Ending the process explicitly once its event
// loop is empty (test results written) skips that clean-up.
process.once("beforeExit", () => process.exit());

/** Senders posting fresh txids until stopped; each answer is kept with its txid. */
function steadyTraffic(f: FaultService, world: PayingWorld, prefix: string, senders = 3) {
  const answers: Array<{ txid: string; reply: PostbackReply }> = [];
  let stopped = false;
  const loops = Array.from({ length: senders }, async (_, s) => {
    for (let i = 0; !stopped; i++) {
      const txid = `${prefix}-${s}-${i}`;
      const reply = await sendFtd(f.url, world, txid);
      answers.push({ txid, reply });
      // A steady trickle (the suite runs other files beside this one); an outage answers at once.
      await new Promise((resolve) => setTimeout(resolve, reply.status === 200 ? 5 : 20));
    }
  });
  return {
    answers,
    okSince: (from: number) => answers.slice(from).filter((a) => a.reply.status === 200).length,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return answers;
    },
  };
}

describe("PostgreSQL restarts, crashes and goes read-only", { skip: missing, timeout: 180_000 }, () => {
  let cluster: PrivatePostgres;
  let f: FaultService;
  let world: PayingWorld;
  const readyz = async () => (await fetch(`${f.url}/readyz`)).status;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    cluster = await startPrivatePostgres();
    await admin("CREATE DATABASE postwire");
    f = await startFaultService(cluster.url("postwire"));
    world = await payingWorld(f);
  });
  after(async () => {
    await f?.close();
    cluster?.remove();
  });

  /** Traffic across `fault`, which must leave the server up: answers checked, then exactly once. */
  async function acrossFault(prefix: string, fault: () => Promise<void>): Promise<void> {
    const traffic = steadyTraffic(f, world, prefix);
    let answers: Awaited<ReturnType<typeof traffic.stop>>;
    try {
      await eventually(() => traffic.okSince(0) >= 5, { what: "traffic flowing" });
      await fault();
      const mark = traffic.answers.length;
      await eventually(() => traffic.okSince(mark) >= 5, { timeoutMs: 30_000, what: "stored again" });
    } finally {
      // Stopped whatever happened: senders left running would keep this test process alive.
      answers = await traffic.stop();
    }
    for (const { txid, reply } of answers) assertCommittedOrUnavailable(reply, txid);
    for (const { txid, reply } of answers)
      if (reply.status !== 200) await retryUntilStored(f.url, world, txid);
    assert.equal(await readyz(), 200);
    await assertExactlyOnce(
      f,
      world,
      answers.map((a) => a.txid),
    );
  }

  test("a restart (fast shutdown) under traffic: no exit, 200 or 503, serving again by itself", async () => {
    await acrossFault("restart", () => cluster.restart());
  });

  test("a crash (immediate stop) under traffic, down a while, then started: the same", async () => {
    await acrossFault("crash", async () => {
      await cluster.crash();
      assert.equal(await readyz(), 503, "not ready while the server is down");
      assertCommittedOrUnavailable(await sendFtd(f.url, world, "while-down"), "while-down");
      await cluster.start();
      await retryUntilStored(f.url, world, "while-down");
    });
    await assertExactlyOnce(f, world, ["while-down"]);
  });

  test("a read-only server: not ready and 503; ready and storing again once writable", async () => {
    await admin("ALTER SYSTEM SET default_transaction_read_only = on");
    await admin("SELECT pg_reload_conf()");
    try {
      await eventually(async () => (await readyz()) === 503, { what: "not ready" });
      const reply = await sendFtd(f.url, world, "read-only");
      assert.equal(reply.status, 503, JSON.stringify(reply));
      assert.equal(reply.code, "storage_unavailable");
    } finally {
      await admin("ALTER SYSTEM RESET default_transaction_read_only");
      await admin("SELECT pg_reload_conf()");
    }
    await eventually(async () => (await readyz()) === 200, { what: "ready again" });
    await retryUntilStored(f.url, world, "read-only");
    await assertExactlyOnce(f, world, ["read-only"]);
  });
});
