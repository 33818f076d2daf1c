/**
 * The growth run (issue: performance at size): full-pipeline postback throughput measured in slices
 * while the month of one affiliate grows, against the bare server measured between the slices.
 *
 *   node bench/growth.ts --engine sqlite --sizes 0,250000,500000,1000000 --logs 10000000 --clicks 10000000
 *
 * One database for the whole run: an iGaming program with its preset plan and an endpoint at a
 * keep-alive receiver (bench/pipeline.ts); `--logs` request-log rows and `--clicks` clicks spread
 * over the 60 days before the month are seeded first. Then for each size, the month is seeded up to
 * that many FTDs of the affiliate (each with everything the pipeline writes: bench/seed.ts), the
 * server (bench/server.ts, pinned to core 0) is started on the database and measured with wrk
 * (pinned to core 1) for `--seconds`, `--rounds` times, and the bare server once per round. Every
 * run is checked like the main benchmark's (every answer accepted and attributed, the stored
 * conversions equal to the acknowledged ones), and reports the delivery backlog (pending deliveries
 * before and after the run; a dispatcher that keeps up ends near where it started) and the
 * server's peak RSS.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { rebuildTotals } from "../src/adapters/storage/ledger-writes.ts";
import { openDriver } from "../src/adapters/storage/open-driver.ts";
import { openStore } from "../src/adapters/storage/open-store.ts";
import { rebuildRollups } from "../src/adapters/storage/rollups.ts";
import { createFixture } from "../test/helpers/service.ts";
import { type BenchDatabase, createDatabase, dropAll, type Engine } from "./databases.ts";
import { startReceiverProcess } from "./deliveries-kit.ts";
import { setUpFullPipeline } from "./pipeline.ts";
import { type Started, startPinned, stopAll, stopChild } from "./processes.ts";
import { postbackPaths, writePaths } from "./requests.ts";
import { openSeedConnection, type SeedTarget, seedConversions, seedTraffic } from "./seed.ts";
import type { ServerInfo } from "./server.ts";
import { median } from "./stats.ts";
import { runWrk, type WrkResult, wrkProblems } from "./wrk.ts";

const { values: opts } = parseArgs({
  options: {
    engine: { type: "string", default: "sqlite" },
    sizes: { type: "string", default: "0,250000,500000,1000000" },
    logs: { type: "string", default: "0" },
    clicks: { type: "string", default: "0" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "64" },
    rounds: { type: "string", default: "1" },
    "work-dir": { type: "string", default: "/tmp" },
  },
});
const engine = opts.engine as Engine;
const sizes = opts.sizes.split(",").map(Number);
const seconds = Number(opts.seconds);
const connections = Number(opts.connections);
const rounds = Number(opts.rounds);
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const benchDir = import.meta.dirname;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The server's peak resident set (VmHWM), MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Conversions once the server has settled (answers cut off at the end of a run may still commit). */
async function settled(db: BenchDatabase): Promise<number> {
  let last = await db.count("conversions");
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await db.count("conversions");
    if (now === last) return now;
    last = now;
  }
  return last;
}

interface Slice {
  readonly size: number;
  readonly rps: number;
  readonly bare: number;
  readonly backlogBefore: number;
  readonly backlogAfter: number;
  readonly rssMb: number;
  readonly problems: string[];
}

async function measurePostwire(db: BenchDatabase, receiverUrl: string, tag: string) {
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    LOG_LEVEL: "silent",
    BENCH_FIXTURE: "existing",
    BENCH_RECEIVER_URL: receiverUrl,
    // The seeded months stay: retention would prune them at start.
    REQUEST_LOG_RETENTION_DAYS: "3650",
    CLICK_RETENTION_DAYS: "3650",
  };
  const server: Started<ServerInfo> = await startPinned(
    SERVER_CORE,
    [process.execPath, path.join(benchDir, "server.ts")],
    env,
    600_000,
  );
  try {
    const run = async (secs: number, name: string): Promise<WrkResult & { rps: number }> => {
      const file = path.join(opts["work-dir"], `growth-${tag}-${name}.paths`);
      writePaths(file, postbackPaths(server.info, Math.max(60_000, secs * 30_000), `${tag}${name}`));
      return runWrk({
        core: LOAD_CORE,
        url: server.info.url,
        pathsFile: file,
        expectedStatus: 200,
        mode: "postback",
        connections,
        seconds: secs,
      });
    };
    await run(Number(opts.warmup), "w");
    const storedBefore = await settled(db);
    const backlogBefore = await db.scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'");
    const result = await run(seconds, "m");
    const problems = wrkProblems(result, "postback");
    if (result.accepted !== result.ok) problems.push(`${result.ok - result.accepted} 200s not accepted`);
    if (result.attributed !== result.accepted) problems.push("accepted but not attributed");
    const stored = (await settled(db)) - storedBefore;
    if (stored < result.accepted || stored > result.accepted + (result.sent - result.requests))
      problems.push(`stored ${stored} for ${result.accepted} acknowledged`);
    const backlogAfter = await db.scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'");
    const rssMb = peakRssMb(server.info.pid);
    return { rps: result.rps, backlogBefore, backlogAfter, rssMb, problems };
  } finally {
    await stopChild(server.child);
  }
}

async function measureBare(tag: string): Promise<number> {
  const server = await startPinned<{ url: string }>(
    SERVER_CORE,
    [process.execPath, path.join(benchDir, "bare-server.ts")],
    process.env,
  );
  try {
    const file = path.join(opts["work-dir"], `growth-${tag}-bare.paths`);
    writePaths(file, ["/c/bare?sub1=x"]);
    const plain = { core: LOAD_CORE, url: server.info.url, pathsFile: file, expectedStatus: 302 } as const;
    await runWrk({ ...plain, mode: "plain", connections, seconds: Number(opts.warmup) });
    return (await runWrk({ ...plain, mode: "plain", connections, seconds })).rps;
  } finally {
    await stopChild(server.child);
  }
}

async function main(): Promise<void> {
  const receiver = await startReceiverProcess(LOAD_CORE);
  const db = await createDatabase(engine);
  try {
    const store = openStore(db.url);
    await store.migrate();
    const fixture = await createFixture(store);
    await setUpFullPipeline(store, fixture, receiver.url);
    const [endpoint] = await store.deliveries.endpoints.list({ limit: 1 });
    await store.close();
    const target: SeedTarget = {
      operatorId: fixture.operator.id,
      operatorKey: fixture.operator.key,
      programId: fixture.program.id,
      affiliateId: fixture.affiliate.id,
      linkId: fixture.link.id,
      endpointId: endpoint?.id ?? null,
    };
    const now = Date.now();
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const seed = await openSeedConnection(db.url);
    const traffic = Math.max(Number(opts.logs), Number(opts.clicks));
    if (traffic > 0) {
      const t0 = Date.now();
      const range = { from: 0, start: monthStart - 60 * 86_400_000, end: monthStart };
      await seedTraffic(seed, target, { ...range, to: Number(opts.logs) }, { logs: true, clicks: false });
      await seedTraffic(seed, target, { ...range, to: Number(opts.clicks) }, { logs: false, clicks: true });
      log(
        `seeded ${opts.logs} request-log rows and ${opts.clicks} clicks in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    let seeded = 0;
    const slices: Slice[] = [];
    for (const size of sizes) {
      if (size > seeded) {
        const t0 = Date.now();
        await seedConversions(seed, target, {
          from: seeded,
          to: size,
          start: monthStart,
          end: now - 60_000,
        });
        seeded = size;
        // Seeding wrote around the service: its running totals are recounted once.
        const driver = openDriver(db.url);
        await rebuildTotals(driver);
        await rebuildRollups(driver);
        await driver.close();
        log(`seeded the month to ${size} conversions in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
      await seed.run("ANALYZE");
      const runs = [];
      const bares = [];
      for (let r = 0; r < rounds; r++) {
        bares.push(await measureBare(`${size}-${r}`));
        runs.push(await measurePostwire(db, receiver.url, `s${size}r${r}`));
        const last = runs.at(-1)!;
        log(
          `  size ${size} round ${r + 1}: ${last.rps.toFixed(0)} postbacks/s (bare ${bares.at(-1)!.toFixed(0)}), backlog ${last.backlogBefore} -> ${last.backlogAfter}, peak RSS ${last.rssMb.toFixed(0)} MB${last.problems.length ? `  INVALID: ${last.problems.join("; ")}` : ""}`,
        );
      }
      slices.push({
        size,
        rps: median(runs.map((r) => r.rps)),
        bare: median(bares),
        backlogBefore: median(runs.map((r) => r.backlogBefore)),
        backlogAfter: median(runs.map((r) => r.backlogAfter)),
        rssMb: Math.max(...runs.map((r) => r.rssMb)),
        problems: runs.flatMap((r) => r.problems),
      });
    }
    await seed.close();
    log("");
    log(
      `growth run, ${engine}, full pipeline, ${connections} connections, ${seconds} s per run, medians of ${rounds}`,
    );
    log(
      "| conversions this month | postbacks/s | bare req/s | share of bare | vs first slice | backlog before → after | peak RSS |",
    );
    log("|---|---|---|---|---|---|---|");
    for (const s of slices) {
      const share = (s.rps / s.bare) * 100;
      const vsFirst = (s.rps / s.bare / (slices[0]!.rps / slices[0]!.bare)) * 100;
      log(
        `| ${s.size.toLocaleString("en")} | ${s.rps.toFixed(0)} | ${s.bare.toFixed(0)} | ${share.toFixed(1)} % | ${vsFirst.toFixed(0)} % | ${s.backlogBefore} → ${s.backlogAfter} | ${s.rssMb.toFixed(0)} MB |${s.problems.length ? " INVALID" : ""}`,
      );
    }
  } finally {
    receiver.stop();
    await stopAll();
    await dropAll();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  await stopAll();
  await dropAll();
  process.exit(1);
});
