/**
 * One Postwire variant for the benchmark, run as its own process (the runner pins it to a core).
 *
 * Starts the real service (`startService`) on 127.0.0.1:0 with the DATABASE_URL it is given and
 * LOG_LEVEL=silent, creates the usual test fixture (an HMAC-signed operator, a program, an
 * affiliate, an active link) through the store, takes one real click to get a valid click_id
 * (watching that its commit is synced before the answer), reads the durability settings back from
 * the service's own database connection (instrument.ts), prints all of it as one JSON line on
 * stdout, and serves until SIGTERM/SIGINT. SIGHUP resets the commit counter, which is printed to
 * stderr as `bench-stats {…}` on exit. BENCH_ROLLUPS=off runs the service without rollups,
 * BENCH_ROLLUPS=without:<tables> without those only.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { getHeapSpaceStatistics } from "node:v8";
import { systemClock } from "../src/adapters/clock-and-ids.ts";
import { openDriver } from "../src/adapters/storage/open-driver.ts";
import type { Store } from "../src/app/ports.ts";
import { startService } from "../src/composition/start-service.ts";
import { loadConfig } from "../src/config.ts";
import { createFixture, type Fixture } from "../test/helpers/service.ts";
import { commitStats, durabilitySettings, resetCommits, walSyncedBeforeAnswer } from "./instrument.ts";
import { setUpFullPipeline } from "./pipeline.ts";
import { dropRollupTriggers, ROLLUP_TABLES, skippingRollups } from "./without-rollups.ts";

/** What the runner learns from a started server (the first stdout line, JSON). */
export interface ServerInfo {
  readonly url: string;
  readonly engine: "sqlite" | "postgres";
  readonly operatorKey: string;
  readonly secret: string;
  readonly linkCode: string;
  readonly clickId: string;
  /** As read from the service's own connection, e.g. { synchronous: "FULL", journal_mode: "wal" }. */
  readonly durability: Readonly<Record<string, string>>;
  readonly node: string;
  readonly pid: number;
}

process.on("SIGHUP", resetCommits);

/**
 * With BENCH_CPU_PROFILE_DIR set, SIGUSR2 starts a CPU profile and the next SIGUSR2 writes it
 * there (as <pid>-<n>.cpuprofile): the runner profiles exactly the measured window.
 */
function profileOnSignal(dir: string): void {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  let busy: Promise<void> = Promise.resolve();
  process.on("SIGUSR2", () => {
    busy = busy.then(async () => {
      if (!running) {
        await session.post("Profiler.enable");
        await session.post("Profiler.start");
        running = true;
        return;
      }
      const { profile } = await session.post("Profiler.stop");
      running = false;
      const file = path.join(dir, `${process.pid}-${++count}.cpuprofile`);
      writeFileSync(`${file}.tmp`, JSON.stringify(profile));
      // Renamed into place so the runner never reads half a file.
      renameSync(`${file}.tmp`, file);
    });
  });
}

/** One real click through the service: a valid, stored click_id for attributed postbacks. */
async function takeClick(url: string, code: string): Promise<string> {
  const response = await fetch(`${url}/c/${code}?sub1=bench`, { redirect: "manual" });
  const location = response.headers.get("location") ?? "";
  const clickId = new URL(location).searchParams.get("cid");
  if (response.status !== 302 || !clickId) {
    throw new Error(`click setup failed: ${response.status} ${location}`);
  }
  return clickId;
}

/** The fixture a seeded database already holds (bench/growth.ts made it): its first of each. */
async function existingFixture(store: Store): Promise<Fixture> {
  const [operator] = await store.operators.list({ limit: 1 });
  const [program] = await store.programs.list({ limit: 1 });
  const [affiliate] = await store.affiliates.list({ limit: 1 });
  const [link] = await store.links.list({ limit: 1 });
  const secret = operator?.auth.hmacSecrets[0];
  if (!operator || !program || !affiliate || !link || !secret)
    throw new Error("the database holds no fixture");
  return { operator, program, affiliate, link, secret };
}

async function main(): Promise<void> {
  const profileDir = process.env["BENCH_CPU_PROFILE_DIR"];
  if (profileDir) profileOnSignal(profileDir);
  // BENCH_RECEIVER_URL: the full pipeline (preset plan, an endpoint there); its deliveries need the
  // egress guard to let 127.0.0.1 through, as an on-prem receiver would.
  const receiver = process.env["BENCH_RECEIVER_URL"];
  const existing = process.env["BENCH_FIXTURE"] === "existing";
  const config = loadConfig({
    ...process.env,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...(receiver ? { DELIVERY_ALLOW: "127.0.0.1" } : {}),
  });
  // BENCH_ROLLUPS=off: the service writes no rollups (the same-run cost of rollups, issue 15);
  // BENCH_ROLLUPS=without:report_commissions,… leaves out only those (what each costs).
  const setting = process.env["BENCH_ROLLUPS"] ?? "";
  const skipped = new Set(
    setting === "off" ? ROLLUP_TABLES : setting.startsWith("without:") ? setting.slice(8).split(",") : [],
  );
  for (const table of skipped)
    if (!ROLLUP_TABLES.includes(table)) throw new Error(`BENCH_ROLLUPS: no rollup table "${table}"`);
  if (skipped.has("delivery_rollup")) {
    const driver = openDriver(config.databaseUrl);
    await driver.migrate();
    await dropRollupTriggers(driver);
    await driver.close();
  }
  const service = await startService(
    config,
    systemClock,
    skipped.size ? { wrapDriver: (driver) => skippingRollups(driver, skipped) } : {},
  );
  const stop = () => {
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    service.stop().then(
      () => {
        process.stderr.write(`bench-stats ${JSON.stringify(commitStats())}\n`);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);

  const fixture = existing ? await existingFixture(service.store) : await createFixture(service.store);
  if (receiver && !existing) await setUpFullPipeline(service.store, fixture, receiver);
  let clickId = "";
  const synced = await walSyncedBeforeAnswer(async () => {
    clickId = await takeClick(service.url, fixture.link.code);
  });
  const durability = await durabilitySettings(service.store.engine);
  if (service.store.engine === "sqlite" && !["FULL", "EXTRA"].includes(durability["synchronous"] ?? "")) {
    // Below FULL, a commit is only durable if the service syncs the WAL before the answer itself.
    durability["wal_synced_before_answer"] = synced ? "yes" : "no";
  }
  const info: ServerInfo = {
    url: service.url,
    engine: service.store.engine,
    operatorKey: fixture.operator.key,
    secret: fixture.secret,
    linkCode: fixture.link.code,
    clickId,
    durability,
    node: process.version,
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  // With BENCH_MEMORY_MS set, process.memoryUsage() every that many ms on stderr (bench/reconcile.ts).
  const every = Number(process.env["BENCH_MEMORY_MS"] ?? 0);
  if (every > 0)
    setInterval(() => {
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1048576);
      // The main isolate's spaces (committed MB) and the process's anonymous and file-backed resident sets.
      const spaces = Object.fromEntries(
        getHeapSpaceStatistics()
          .filter((s) =>
            ["new_space", "old_space", "code_space", "large_object_space"].includes(s.space_name),
          )
          .map((s) => [s.space_name.replace("_space", ""), mb(s.space_size)]),
      );
      const status = readFileSync("/proc/self/status", "utf8");
      const kb = (field: string) =>
        mb(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024);
      process.stderr.write(
        `bench-memory ${JSON.stringify({ rss: mb(m.rss), anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem"), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), ...spaces, external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) })}\n`,
      );
    }, every).unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
