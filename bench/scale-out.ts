/**
 * Scale-out on one PostgreSQL (issue 13), with the real CLI: `node bench/scale-out.ts --help`.
 *
 * 1. Throughput of 1 process against 2 (`postwire serve --workers 2`, one listener), signed and
 *    attributed FTDs with fresh txids from wrk (pinned to the last core; the servers and PostgreSQL
 *    are not pinned), rounds interleaved, medians shown; a run is valid only if the database holds
 *    what was acknowledged (as in bench/run.ts).
 * 2. The kill run: two processes on their own ports share the load of operator-like clients that
 *    retry every postback until acknowledged (on the other process when one fails); one process is
 *    killed with SIGKILL a third of the way in and started again a second later. Counted from the
 *    database and the receiver: lost (acknowledged, not stored), doubled (stored twice), ledger
 *    entries, deliveries not delivered, deliveries sent twice, and of those, sent twice by live
 *    processes (a repeat sooner than the claim lease after the first send).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { waitForQuiet } from "./cpu.ts";
import { createDatabase, dropAll, postgresAvailable } from "./databases.ts";
import { requireTool, stopAll } from "./processes.ts";
import { postbackPaths, writePaths } from "./requests.ts";
import {
  freePort,
  type PostwireProcess,
  setUpWorld,
  startLoad,
  startReceiver,
  startServe,
} from "./scale-out-kit.ts";
import { median } from "./stats.ts";
import { runWrk, WRK_HINT, wrkProblems } from "./wrk.ts";

const HELP = `Usage: node bench/scale-out.ts [--rounds 2] [--duration 10] [--connections 64]
                               [--kill-seconds 20] [--kill-connections 32] [--lease-ms 3000]
Environment: BENCH_POSTGRES_URL (a role that may create databases).`;

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "64" },
    "kill-seconds": { type: "string", default: "20" },
    "kill-connections": { type: "string", default: "32" },
    "lease-ms": { type: "string", default: "3000" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const opt = {
  rounds: Number(values.rounds),
  duration: Number(values.duration),
  connections: Number(values.connections),
  killSeconds: Number(values["kill-seconds"]),
  killConnections: Number(values["kill-connections"]),
  leaseMs: Number(values["lease-ms"]),
};
const CORES = availableParallelism();
const WRK_CORE = CORES - 1;
const stop = async (p: PostwireProcess) => {
  if (p.alive()) p.child.kill("SIGTERM");
  return p.exited;
};

interface ThroughputRun {
  readonly workers: number;
  /** With a CPA plan: each FTD also earns a ledger entry. */
  readonly plan: boolean;
  readonly round: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly accepted: number;
  readonly stored: number;
  readonly problems: string[];
  /** Share of the machine busy just before the measured run (waited for ≤ 10 %, at most 30 s). */
  readonly busyBefore: number;
}

async function throughputRun(
  workers: number,
  plan: boolean,
  round: number,
  dir: string,
): Promise<ThroughputRun> {
  const db = await createDatabase("postgres");
  const server = await startServe(db.url, await freePort(), {}, workers);
  try {
    const world = await setUpWorld(server.url, { plan });
    const tag = `w${workers}${plan ? "p" : ""}r${round}`;
    const target = { operatorKey: world.operatorKey, secret: world.secret, clickId: world.clickId };
    const warm = path.join(dir, `${tag}-warm.txt`);
    const measured = path.join(dir, `${tag}.txt`);
    writePaths(warm, postbackPaths(target, 40_000, `${tag}-warm`));
    writePaths(measured, postbackPaths(target, Math.max(80_000, opt.duration * 12_000), tag));
    const common = { core: WRK_CORE, url: server.url, expectedStatus: 200, mode: "postback" as const };
    await runWrk({ ...common, pathsFile: warm, connections: opt.connections, seconds: 2 });
    // The warm-up's last requests may still be committing: count once the number stands still.
    let before = await db.count("conversions");
    for (;;) {
      await sleep(300);
      const now = await db.count("conversions");
      if (now === before) break;
      before = now;
    }
    // The machine is shared: start from a quiet one, as bench/run.ts does.
    const busyBefore = await waitForQuiet(30);
    const r = await runWrk({
      ...common,
      pathsFile: measured,
      connections: opt.connections,
      seconds: opt.duration,
    });
    const stored = (await db.count("conversions")) - before;
    const problems = wrkProblems(r, "postback");
    // Requests wrk had written but not read an answer for may have been committed.
    if (stored < r.accepted || stored > r.accepted + (r.sent - r.requests))
      problems.push(`stored ${stored} for ${r.accepted} accepted`);
    if (r.accepted !== r.requests) problems.push(`${r.requests - r.accepted} answers were not "accepted"`);
    return {
      workers,
      plan,
      round,
      rps: r.rps,
      p50Ms: r.p50_us / 1000,
      p99Ms: r.p99_us / 1000,
      accepted: r.accepted,
      stored,
      problems,
      busyBefore,
    };
  } finally {
    await stop(server);
    await db.drop();
  }
}

async function killRun() {
  const db = await createDatabase("postgres");
  const receiver = await startReceiver();
  const direct = new pg.Pool({ connectionString: db.url, max: 2 });
  direct.on("error", () => undefined);
  const ports = [await freePort(), await freePort()];
  const env = {
    DISPATCH_INTERVAL_MS: "50",
    DELIVERY_LEASE_MS: String(opt.leaseMs),
    DELIVERY_TIMEOUT_MS: "2000",
  };
  const a = await startServe(db.url, ports[0]!, env);
  let b = await startServe(db.url, ports[1]!, env);
  try {
    const world = await setUpWorld(a.url, { receiverUrl: receiver.url });
    await waitForQuiet(30);
    const started = performance.now();
    const load = startLoad([a.url, b.url], world, opt.killConnections, "kill");
    await sleep((opt.killSeconds * 1000) / 3);
    const killedAt = performance.now();
    const ackedAtKill = load.acked.length;
    b.child.kill("SIGKILL");
    await b.exited;
    await sleep(1000);
    b = await startServe(db.url, ports[1]!, env);
    await sleep(Math.max(0, started + opt.killSeconds * 1000 - performance.now()));
    await load.stop();
    const seconds = (performance.now() - started) / 1000;
    const acked = load.acked;
    const count = async (sql: string, params: unknown[] = []) =>
      Number((await direct.query<{ n: string }>(sql, params)).rows[0]!.n);
    const stored = await count("SELECT COUNT(*) AS n FROM conversions WHERE txid = ANY($1::text[])", [acked]);
    const doubled = await count(
      "SELECT COUNT(*) AS n FROM (SELECT txid FROM conversions GROUP BY operator_id, txid HAVING COUNT(*) > 1) d",
    );
    const ledger = (
      await direct.query<{ n: string; total: string }>(
        "SELECT COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS total FROM ledger_entries",
      )
    ).rows[0]!;
    const deliveries = await count("SELECT COUNT(*) AS n FROM deliveries");
    const settledBy = performance.now() + 60_000;
    while ((await count("SELECT COUNT(*) AS n FROM deliveries WHERE state <> 'delivered'")) > 0) {
      if (performance.now() > settledBy) break;
      await sleep(200);
    }
    const undelivered = await count("SELECT COUNT(*) AS n FROM deliveries WHERE state <> 'delivered'");
    const repeats = [...receiver.hits].filter(([, at]) => at.length > 1);
    // Claims are exclusive until their lease runs out: a repeat sooner than that was two live senders.
    const byLive = repeats.filter(
      ([, at]) => at[1]! - at[0]! < opt.leaseMs - 500 || at[0]! > killedAt + 1000,
    );
    return {
      seconds,
      acked: acked.length,
      ackedAtKill,
      ackedPerSecond: acked.length / seconds,
      retries: load.retries,
      stored,
      lost: acked.length - stored,
      doubled,
      ledgerEntries: Number(ledger.n),
      ledgerExact: Number(ledger.n) === acked.length && Number(ledger.total) === acked.length * 10_000,
      deliveries,
      undelivered,
      deliveryIdsReceived: receiver.hits.size,
      sentTwice: repeats.length,
      sentTwiceByLiveProcesses: byLive.length,
      survivorAlive: a.alive(),
      exitCodes: await Promise.all([stop(a), stop(b)]),
    };
  } finally {
    for (const p of [a, b]) if (p.alive()) p.child.kill("SIGKILL");
    await receiver.close();
    await direct.end();
    await db.drop();
  }
}

async function main() {
  requireTool("wrk", WRK_HINT);
  const down = await postgresAvailable();
  if (down) throw new Error(`PostgreSQL is not reachable (BENCH_POSTGRES_URL): ${down}`);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`machine: ${CORES} cores (${cpu}); Node ${process.version}; wrk pinned to core ${WRK_CORE}`);
  const dir = mkdtempSync(path.join(tmpdir(), "postwire-scale-out-"));
  const runs: ThroughputRun[] = [];
  for (let round = 1; round <= opt.rounds; round++) {
    for (const plan of [false, true]) {
      for (const workers of [1, 2]) {
        const run = await throughputRun(workers, plan, round, dir);
        runs.push(run);
        const state = run.problems.length ? `INVALID: ${run.problems.join("; ")}` : "ok";
        console.log(
          `round ${round}  ${plan ? "CPA plan" : "no plan "}  ${workers} process${workers > 1 ? "es" : "  "}  c${opt.connections}  ${Math.round(run.rps).toLocaleString("en")} postbacks/s  p50 ${run.p50Ms.toFixed(1)} ms  p99 ${run.p99Ms.toFixed(1)} ms  stored ${run.stored}  busy before ${Math.round(run.busyBefore * 100)} %  ${state}`,
        );
      }
    }
  }
  console.log(
    `\nthroughput (median of valid runs; ${CORES} cores shared by the servers, PostgreSQL and wrk):`,
  );
  for (const plan of [false, true]) {
    const medianOf = (workers: number) =>
      median(
        runs.filter((r) => r.workers === workers && r.plan === plan && !r.problems.length).map((r) => r.rps),
      );
    const one = medianOf(1);
    const two = medianOf(2);
    console.log(
      `  ${plan ? "CPA plan" : "no plan "}  1 process ${Math.round(one).toLocaleString("en")}/s  2 processes ${Math.round(two).toLocaleString("en")}/s  (${(two / one).toFixed(2)} ×)`,
    );
  }
  console.log(
    `\nkill run: 2 processes, ${opt.killConnections} clients, one SIGKILLed at a third of ${opt.killSeconds} s, restarted 1 s later`,
  );
  const kill = await killRun();
  console.log(JSON.stringify(kill, null, 2));
  const results = path.join(import.meta.dirname, "results");
  mkdirSync(results, { recursive: true });
  const file = path.join(results, `scale-out-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ cores: CORES, cpu, options: opt, runs, kill }, null, 2));
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  const ok = kill.lost === 0 && kill.doubled === 0 && kill.ledgerExact && kill.undelivered === 0;
  if (!ok || kill.sentTwiceByLiveProcesses > 0) process.exitCode = 1;
}

const cleanUp = async () => {
  await stopAll();
  await dropAll();
};
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
await main().catch(async (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
await cleanUp();
