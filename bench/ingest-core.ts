/**
 * The postback ingest path without HTTP: the real ingestor (checks, group commit, decide, effects,
 * request log) on a real SQLite file or PostgreSQL database, driven in-process by `--concurrency`
 * requests at a time. Prints CPU and wall time per postback, so storage and use-case changes can
 * be compared in seconds instead of a full wrk run. Pin it: `taskset -c 0`.
 *
 *   node bench/ingest-core.ts [--n 30000] [--concurrency 64] [--rounds 3] [--database sqlite|postgres]
 *                             [--synchronous FULL|NORMAL] [--interval MS] [--pipeline full|minimal]
 * `--pipeline full` (the default) gives the program its vertical's preset plan and the affiliate an
 * endpoint (bench/pipeline.ts), so every postback writes its ledger entries and an outbox message
 * (nothing is sent: no dispatcher runs here); `minimal`, neither.
 * `--rollups both` alternates rounds writing the rollups of 012_rollups.sql and rounds writing
 * none (bench/without-rollups.ts), in the same run, and prints the ratio; `on` (the default)
 * writes them, `off` does not. `--rollups all` adds rounds writing every rollup row in slot 0
 * (bench/without-rollups.ts oneSlot: as before 019_rollup_slots.sql), between the two; `indexes`
 * adds rounds with the report indexes of 012 instead (SQLite: the cost of the sums in 019's).
 * `--what clicks` measures click batches instead: the click path's group commit (batchingFor) over
 * store.insertClicks, which appends its report activity in the same statement (no HTTP, no link look-up).
 * On PostgreSQL it also samples pg_stat_activity every 5 ms during the measured part and prints
 * how many of the bench database's backends wait on a lock (row locks of hot keys), on average.
 * Group commit as the service sets it up (`batchingFor`, from BATCH_MAX, PG_POOL_SIZE… in the
 * environment); `--interval` sets BATCH_INTERVAL_MS (default 2 ms on SQLite, 0 on PostgreSQL).
 */
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createIds, systemClock } from "../src/adapters/clock-and-ids.ts";
import { arrivalNow, postbackRequest } from "../src/adapters/http/routes/postback.ts";
import { openDriver } from "../src/adapters/storage/open-driver.ts";
import type { StoreOptions } from "../src/adapters/storage/open-store.ts";
import { createSqlStore } from "../src/adapters/storage/sql-store.ts";
import { Catalog } from "../src/app/catalog.ts";
import { EndpointCache } from "../src/app/delivery/endpoint-cache.ts";
import { createOutboundEffect } from "../src/app/delivery/outbound-effect.ts";
import { createGroupCommitter } from "../src/app/group-commit.ts";
import type { PostbackRequest } from "../src/app/ingest/ingest-postback.ts";
import type { Store } from "../src/app/ports.ts";
import type { ClickRow } from "../src/app/records.ts";
import { batchingFor, createIngestor } from "../src/composition/use-cases.ts";
import { loadConfig } from "../src/config.ts";
import { issueClickId } from "../src/domain/click-id.ts";
import { createFixture } from "../test/helpers/service.ts";
import { type BenchDatabase, createDatabase } from "./databases.ts";
import { setUpFullPipeline } from "./pipeline.ts";
import { postbackPaths } from "./requests.ts";
import { oneSlot, withoutRollups } from "./without-rollups.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "30000" },
    concurrency: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    database: { type: "string", default: "sqlite" },
    synchronous: { type: "string", default: "FULL" },
    interval: { type: "string" },
    pipeline: { type: "string", default: "full" },
    rollups: { type: "string", default: "on" },
    what: { type: "string", default: "postbacks" },
  },
});
if (values.synchronous !== "FULL" && values.synchronous !== "NORMAL") {
  throw new Error("--synchronous must be FULL or NORMAL");
}
/** NORMAL leaves the fsync out: the difference is what each commit's sync costs. */
const synchronous: "FULL" | "NORMAL" = values.synchronous;
/** The service's own settings (PG_POOL_SIZE, BATCH_MAX… from the environment), `--interval` on top. */
const config = loadConfig({
  ...process.env,
  DATABASE_URL: values.database === "postgres" ? "postgres://bench" : "sqlite:bench.db",
  ...(values.interval === undefined ? {} : { BATCH_INTERVAL_MS: values.interval }),
});
const n = Number(values.n);
const concurrency = Number(values.concurrency);

const EMPTY = Buffer.alloc(0);
const HEADERS = {
  host: "127.0.0.1:8080",
  "user-agent": "operator-backend/1.0",
  accept: "*/*",
};

type Mode = "on" | "one-slot" | "off" | "012-indexes";

/** The report indexes of 012_rollups.sql, without the sums 019 added (SQLite only). */
const INDEXES_012 = [
  "report_activity_program ON report_activity (program_id, bucket_at)",
  "report_activity_bucket ON report_activity (bucket_at)",
  "report_commissions_program ON report_commissions (program_id, bucket_at)",
  "report_commissions_bucket ON report_commissions (bucket_at)",
];

/** A fresh database, migrated; `off`: a store that writes no rollups, `one-slot`: all in slot 0 (without-rollups.ts). */
async function openDatabase(mode: Mode): Promise<{ store: Store; url?: string; close(): Promise<void> }> {
  const open = async (url: string, options: StoreOptions) => {
    const driver = openDriver(url, options);
    await driver.migrate();
    if (mode === "012-indexes")
      for (const index of INDEXES_012) {
        await driver.run(`DROP INDEX ${index.split(" ")[0]}`);
        await driver.run(`CREATE INDEX ${index}`);
      }
    const wrapped =
      mode === "on" || mode === "012-indexes"
        ? driver
        : mode === "off"
          ? await withoutRollups(driver)
          : oneSlot(driver);
    return createSqlStore(wrapped, options);
  };
  if (values.database === "postgres") {
    const database: BenchDatabase = await createDatabase("postgres");
    const store = await open(database.url, { postgresPoolSize: config.postgresPoolSize });
    return {
      store,
      url: database.url,
      close: async () => {
        await store.close();
        await database.drop();
      },
    };
  }
  const file = path.join(os.tmpdir(), `postwire-core-${process.pid}.db`);
  const store = await open(`sqlite:${file}`, {
    sqliteSynchronous: synchronous,
    sqliteCheckpointIntervalMs: 200,
  });
  return {
    store,
    close: async () => {
      await store.close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    },
  };
}

/** Samples how many of the database's backends wait on a lock, every 5 ms until stopped. */
function lockWaits(url: string | undefined): { stop(): Promise<number> } {
  if (!url) return { stop: async () => Number.NaN };
  const client = new pg.Client({ connectionString: url });
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const r = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      samples.push(Number(r.rows[0].n));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples.reduce((a, b) => a + b, 0) / Math.max(samples.length, 1);
    },
  };
}

async function round(index: number, mode: Mode): Promise<{ cpuUs: number; wallUs: number; waiting: number }> {
  const { store, url, close } = await openDatabase(mode);
  try {
    await store.migrate();
    const clock = systemClock;
    const ids = createIds(clock);
    const fixture = await createFixture(store);
    if (values.pipeline === "full") await setUpFullPipeline(store, fixture, "http://127.0.0.1:9");
    const clickSecret = ids.random(32);
    const clickId = issueClickId(
      clickSecret,
      { linkId: fixture.link.id, issuedAtSeconds: Math.floor(Date.now() / 1000) },
      ids.random(6),
    );
    const catalog = new Catalog(store, clock);
    const ingestor = createIngestor({
      store,
      catalog,
      clock,
      ids,
      clickSecret,
      batching: batchingFor(config, store.engine),
      outboundEffect: createOutboundEffect({ cache: new EndpointCache(clock), clock, ids }),
    });
    const paths = postbackPaths(
      { operatorKey: fixture.operator.key, secret: fixture.secret, clickId },
      n + 2000,
      `r${index}`,
    );
    // As the GET route builds it.
    const request = (p: string): PostbackRequest =>
      postbackRequest(p, fixture.operator.key, "GET", HEADERS, arrivalNow(clock, "127.0.0.1"), EMPTY);
    let next = 0;
    const clicks = createGroupCommitter<ClickRow, void>(
      async (rows) => {
        await store.insertClicks(rows);
        return rows.map(() => undefined);
      },
      batchingFor(config, store.engine),
    );
    const click = (): ClickRow => ({
      clickId: `ck-${index}-${next++}`,
      linkId: fixture.link.id,
      affiliateId: fixture.affiliate.id,
      programId: fixture.program.id,
      createdAt: clock.now(),
      subs: [`bench-${next}`, null, null, null, null],
      ip: "203.0.113.0",
      userAgent: HEADERS["user-agent"],
      referer: null,
    });
    const worker = async (count: number) => {
      for (let i = 0; i < count; i++) {
        if (values.what === "clicks") {
          await clicks.submit(click());
          continue;
        }
        const answer = await ingestor.handle(request(paths[next++]!));
        if (answer.status !== 200) throw new Error(`answer ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    };
    // Warm-up (JIT, caches), then the measured part.
    await Promise.all(Array.from({ length: concurrency }, () => worker(Math.floor(2000 / concurrency))));
    const perWorker = Math.floor(n / concurrency);
    const sampler = lockWaits(url);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, () => worker(perWorker)));
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / (perWorker * concurrency);
    const cpu = process.cpuUsage(cpu0);
    const waiting = await sampler.stop();
    return { cpuUs: (cpu.user + cpu.system) / (perWorker * concurrency), wallUs, waiting };
  } finally {
    await close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const modes: Mode[] =
  values.rollups === "both"
    ? ["on", "off"]
    : values.rollups === "all"
      ? ["on", "one-slot", "off"]
      : values.rollups === "indexes"
        ? ["on", "012-indexes", "off"]
        : [values.rollups === "off" ? "off" : "on"];
const results = new Map<Mode, Array<{ cpuUs: number; wallUs: number; waiting: number }>>(
  modes.map((m) => [m, []]),
);
for (let i = 0; i < Number(values.rounds); i++) {
  for (const mode of modes) {
    const r = await round(i, mode);
    results.get(mode)!.push(r);
    console.log(
      `round ${i + 1}, rollups ${mode}: ${r.cpuUs.toFixed(1)} µs CPU, ${r.wallUs.toFixed(1)} µs wall per postback${Number.isNaN(r.waiting) ? "" : `, ${r.waiting.toFixed(2)} backends waiting on a lock`}`,
    );
  }
}
for (const [mode, list] of results)
  console.log(
    `median, rollups ${mode}: ${median(list.map((r) => r.cpuUs)).toFixed(1)} µs CPU, ${median(list.map((r) => r.wallUs)).toFixed(1)} µs wall per ${values.what === "clicks" ? "click" : "postback"}${values.database === "postgres" ? `, ${median(list.map((r) => r.waiting)).toFixed(2)} waiting on a lock` : ""} (${values.database}, concurrency ${concurrency})`,
  );
if (modes.length > 1) {
  // Each round's pair measured back to back: the median of their ratios is less noisy than the
  // ratio of medians on a shared machine.
  const off = results.get("off")!;
  for (const mode of modes.filter((m) => m !== "off")) {
    const list = results.get(mode)!;
    const wall = median(list.map((r, i) => off[i]!.wallUs / r.wallUs));
    const cpu = median(list.map((r, i) => off[i]!.cpuUs / r.cpuUs));
    console.log(
      `throughput with rollups ${mode}: ${(wall * 100).toFixed(1)} % of without (median of per-round wall ratios; CPU ratio ${(cpu * 100).toFixed(1)} %)`,
    );
  }
}
