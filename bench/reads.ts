/**
 * The manager's reads at size (issue: performance at size): every list and filter of the admin API,
 * the balances and a ledger export, timed over HTTP against a database seeded with months of data.
 *
 *   node bench/reads.ts --engine sqlite --logs 5000000 --clicks 5000000 --conversions 500000
 *   node bench/reads.ts --engine postgres --reuse postgres://…/postwire_reads   # a seeded database
 *
 * Four operators, each with a program, an affiliate, a link and an outbound endpoint; the first is
 * the big one (half the conversions). `--conversions` FTDs with everything the full pipeline writes
 * for each (player, qualification, ledger entry, request-log row, delivered delivery, attempt),
 * `--logs` more request-log rows (one in ten rejected) and `--clicks` clicks, all spread over the
 * `--days` before now (bench/seed.ts); running totals recounted and statistics gathered (ANALYZE)
 * after seeding, as a running service has them. Then the server (bench/server.ts, pinned to core 0)
 * answers each read `--requests` times in a row (after two unmeasured): p50 and p95 per read, and
 * the server's peak RSS at the end. `--keep` leaves the database for a later `--reuse`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createIds, systemClock } from "../src/adapters/clock-and-ids.ts";
import { rebuildTotals } from "../src/adapters/storage/ledger-writes.ts";
import { openDriver } from "../src/adapters/storage/open-driver.ts";
import { openStore } from "../src/adapters/storage/open-store.ts";
import { rebuildRollups } from "../src/adapters/storage/rollups.ts";
import { createApiKey } from "../src/app/access/api-keys.ts";
import type { Store } from "../src/app/ports.ts";
import { periodOf } from "../src/domain/commissions/exact.ts";
import { createFixture, type Fixture } from "../test/helpers/service.ts";
import { createDatabase, dropAll, type Engine } from "./databases.ts";
import { setUpFullPipeline } from "./pipeline.ts";
import { type Started, startPinned, stopAll, stopChild } from "./processes.ts";
import { openSeedConnection, type SeedTarget, seedConversions, seedTraffic } from "./seed.ts";
import type { ServerInfo } from "./server.ts";
import { percentile } from "./stats.ts";

const { values: opts } = parseArgs({
  options: {
    engine: { type: "string", default: "sqlite" },
    logs: { type: "string", default: "5000000" },
    clicks: { type: "string", default: "5000000" },
    conversions: { type: "string", default: "500000" },
    days: { type: "string", default: "60" },
    requests: { type: "string", default: "20" },
    reuse: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const DAY = 86_400_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Splits n into the four operators' shares: half for the first, a sixth each for the others. */
const shares = (n: number): number[] => {
  const big = Math.floor(n / 2);
  const rest = Math.floor((n - big) / 3);
  return [big, rest, rest, n - big - 2 * rest];
};

async function seed(url: string): Promise<void> {
  const store = openStore(url);
  await store.migrate();
  const fixtures: Fixture[] = [];
  for (let i = 0; i < 4; i++) {
    const f = await createFixture(store);
    await setUpFullPipeline(store, f, "http://127.0.0.1:9");
    fixtures.push(f);
  }
  const endpoints = await store.deliveries.endpoints.list({ limit: 10 });
  await store.close();
  const targets: SeedTarget[] = fixtures.map((f) => ({
    operatorId: f.operator.id,
    operatorKey: f.operator.key,
    programId: f.program.id,
    affiliateId: f.affiliate.id,
    linkId: f.link.id,
    endpointId: endpoints.find((e) => e.affiliateId === f.affiliate.id)?.id ?? null,
  }));
  const end = Date.now() - 60_000;
  const start = end - Number(opts.days) * DAY;
  const db = await openSeedConnection(url);
  const t0 = Date.now();
  for (const [what, total] of [
    ["conversions", Number(opts.conversions)],
    ["logs", Number(opts.logs)],
    ["clicks", Number(opts.clicks)],
  ] as const) {
    let from = 0;
    for (const [i, share] of shares(total).entries()) {
      const range = { from, to: from + share, start, end };
      if (what === "conversions") await seedConversions(db, targets[i]!, range);
      else await seedTraffic(db, targets[i]!, range, { logs: what === "logs", clicks: what === "clicks" });
      from += share;
    }
    log(`seeded ${total.toLocaleString("en")} ${what} (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`);
  }
  await db.close();
  // Recounting 10 M rows takes longer than the service's 10 s statement deadline.
  const driver = openDriver(url, { postgresQueryTimeoutMs: 3_600_000 });
  await rebuildTotals(driver);
  await rebuildRollups(driver);
  await driver.run("ANALYZE");
  await driver.close();
  log(`totals recounted, statistics gathered (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

/** An admin key in the database, and what the reads need to know of it. */
async function world(store: Store) {
  const created = await createApiKey(store, systemClock, createIds(), {
    name: "reads bench",
    role: "admin",
    operatorId: null,
    affiliateId: null,
  });
  if (!created.ok) throw new Error(created.error.message);
  const [operator] = await store.operators.list({ limit: 1 });
  const [program] = await store.programs.list({ operatorId: operator!.id, limit: 1 });
  const [affiliate] = await store.affiliates.list({ limit: 1 });
  const [link] = await store.links.list({ affiliateId: affiliate!.id, limit: 1 });
  const [endpoint] = await store.deliveries.endpoints.list({ affiliateId: affiliate!.id, limit: 1 });
  const [someLog] = await store.searchRequestLog({ operatorId: operator!.id, code: "accepted", limit: 1 });
  return { key: created.value.secret, operator, program, affiliate, link, endpoint, txid: someLog?.txid };
}

/** The server's resident set now and at its peak (VmRSS, VmHWM), MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: mb("VmRSS"), peak: mb("VmHWM") };
}

async function time(
  url: string,
  key: string,
  cookie?: string,
): Promise<{ ms: number; status: number; bytes: number }> {
  const started = performance.now();
  const headers: Record<string, string> = cookie ? { cookie } : { authorization: `Bearer ${key}` };
  const response = await fetch(url, { headers });
  const body = await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status, bytes: body.byteLength };
}

async function main(): Promise<void> {
  const engine = opts.engine as Engine;
  let url = opts.reuse;
  if (!url) {
    const db = await createDatabase(engine);
    url = db.url;
    await seed(url);
  }
  const store = openStore(url);
  const w = await world(store);
  await store.close();
  const server: Started<ServerInfo> = await startPinned(
    0,
    [process.execPath, path.join(import.meta.dirname, "server.ts")],
    {
      ...process.env,
      DATABASE_URL: url,
      LOG_LEVEL: "silent",
      BENCH_FIXTURE: "existing",
      // The seeded months stay: retention would prune them at start.
      REQUEST_LOG_RETENTION_DAYS: "3650",
      CLICK_RETENTION_DAYS: "3650",
    },
    600_000,
  );
  try {
    const base = `${server.info.url}/v1`;
    const month = periodOf(Date.now());
    const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
    const mid = new Date(Date.now() - (Number(opts.days) / 2) * DAY).toISOString();
    const midEnd = new Date(Date.now() - (Number(opts.days) / 2 - 1) * DAY).toISOString();
    const reads: Array<[string, string]> = [
      ["request log, newest", "/request-log?limit=100"],
      ["request log of an operator", `/request-log?operator_id=${w.operator!.id}&limit=100`],
      ["request log by txid", `/request-log?txid=${encodeURIComponent(w.txid ?? "none")}`],
      ["request log by code", "/request-log?code=invalid_signature&limit=100"],
      [
        "request log, a day a month ago",
        `/request-log?operator_id=${w.operator!.id}&since=${mid}&until=${midEnd}&limit=100`,
      ],
      ["conversions, newest", "/conversions?limit=100"],
      ["conversions of an operator", `/conversions?operator_id=${w.operator!.id}&limit=100`],
      ["conversions of an affiliate", `/conversions?affiliate_id=${w.affiliate!.id}&limit=100`],
      ["conversions, unattributed", "/conversions?attributed=false&limit=100"],
      [
        "conversions, a day a month ago",
        `/conversions?program_id=${w.program!.id}&since=${mid}&until=${midEnd}&limit=100`,
      ],
      ["clicks, newest", "/clicks?limit=100"],
      ["clicks of a link", `/clicks?link_id=${w.link!.id}&limit=100`],
      ["clicks of an operator", `/clicks?operator_id=${w.operator!.id}&limit=100`],
      [
        "ledger of an affiliate, this month",
        `/commissions?affiliate_id=${w.affiliate!.id}&period=${month}&limit=100`,
      ],
      ["ledger of a month", `/commissions?period=${month}&limit=100`],
      ["ledger of a program", `/commissions?program_id=${w.program!.id}&limit=100`],
      ["ledger, approved", "/commissions?status=approved&limit=100"],
      ["balances, all", "/commissions/balances"],
      ["balances of an affiliate", `/commissions/balances?affiliate_id=${w.affiliate!.id}`],
      ["deliveries, newest", "/deliveries?limit=100"],
      ["deliveries of an endpoint", `/deliveries?endpoint_id=${w.endpoint?.id ?? 0}&limit=100`],
      ["deliveries, dead", "/deliveries?state=dead&limit=100"],
      ["attempts of an endpoint", `/delivery-attempts?endpoint_id=${w.endpoint?.id ?? 0}&limit=100`],
      ["attempts, failed", `/delivery-attempts?endpoint_id=${w.endpoint?.id ?? 0}&failed=true&limit=100`],
      // Stats and reports, read from the rollups (012_rollups.sql).
      ["stats overview", "/stats/overview"],
      ["program stats, 7 days", `/stats/programs/${w.program!.id}`],
      [
        "program stats, 30 days",
        `/stats/programs/${w.program!.id}?from=${new Date(Date.now() - 30 * DAY).toISOString()}&to=${new Date().toISOString()}`,
      ],
      [
        "report by day, a month, Asia/Kolkata",
        `/reports?from=${day(-30)}&to=${day(0)}&time_zone=Asia/Kolkata`,
      ],
      ["report by week, a year", `/reports?from=${day(-364)}&to=${day(0)}&group_by=week`],
      ["report CSV by month, a year", `/reports.csv?from=${day(-364)}&to=${day(0)}&group_by=month`],
    ];
    // The console's pages, with a session signed in by the same key.
    const signIn = await fetch(`${server.info.url}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ api_key: w.key }).toString(),
      redirect: "manual",
    });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const pages: Array<[string, string]> = [
      ["page: overview", "/"],
      ["page: program, 7 days", `/programs/${w.program!.id}`],
      ["page: program, 30 days", `/programs/${w.program!.id}?range=30d`],
      ["page: reports, this month", "/reports"],
    ];
    const started = memoryOf(server.info.pid);
    log(`\nreads at size, ${engine}, ${opts.requests} requests each after 2 unmeasured (ms):`);
    log("| read | p50 | p95 | rows of JSON |");
    log("|---|---|---|---|");
    for (const [name, query] of reads) {
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i < Number(opts.requests) + 2; i++) {
        const r = await time(`${base}${query}`, w.key);
        if (r.status !== 200) throw new Error(`${query}: HTTP ${r.status}`);
        if (i >= 2) samples.push(r.ms);
        bytes = r.bytes;
      }
      samples.sort((a, b) => a - b);
      log(
        `| ${name} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} | ${bytes.toLocaleString("en")} B |`,
      );
    }
    for (const [name, pagePath] of pages) {
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i < Number(opts.requests) + 2; i++) {
        const r = await time(`${server.info.url}${pagePath}`, w.key, cookie);
        if (r.status !== 200) throw new Error(`${pagePath}: HTTP ${r.status}`);
        if (i >= 2) samples.push(r.ms);
        bytes = r.bytes;
      }
      samples.sort((a, b) => a - b);
      log(
        `| ${name} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} | ${bytes.toLocaleString("en")} B |`,
      );
    }
    const afterReads = memoryOf(server.info.pid);
    const exportRun = await time(`${base}/commissions.csv?affiliate_id=${w.affiliate!.id}`, w.key);
    log(
      `\nledger export of the big affiliate (every entry): ${(exportRun.bytes / 1e6).toFixed(1)} MB in ${(exportRun.ms / 1000).toFixed(1)} s`,
    );
    const end = memoryOf(server.info.pid);
    log(
      `server RSS: ${started.rss.toFixed(0)} MB started, ${afterReads.rss.toFixed(0)} MB after the reads, ${end.rss.toFixed(0)} MB after the export; peak ${end.peak.toFixed(0)} MB`,
    );
    if (!opts.reuse) log(opts.keep ? `database kept: ${url}` : "");
  } finally {
    await stopChild(server.child);
    await stopAll();
    if (!opts.keep) await dropAll();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  await stopAll();
  if (!opts.keep) await dropAll();
  process.exit(1);
});
