/**
 * Reconciliation at size (issue 17): an operator's file of `--rows` events uploaded to the real
 * service (bench/server.ts, pinned to core 0) and compared with `--stored` conversions, end to end
 * over HTTP as `postwire reconcile upload` does it: the file streamed, read row by row, compared
 * in chunks, every row kept. Target on SQLite: 1 M rows against 1 M stored under 60 s, the
 * server's peak RSS (VmHWM) under 300 MB.
 *
 *   node bench/reconcile.ts                      # 1 M rows against 1 M stored conversions, SQLite
 *   node bench/reconcile.ts --rows 100000 --stored 100000 --engine postgres
 *
 * Conversions are seeded straight in SQL (as bench/seed.ts does), spread over `--days`; the file
 * (CSV, written to a temp file first) holds the stored events with one in a hundred replaced by
 * an event never received (so as many stored ones become extras) and one in a hundred with another
 * amount (mismatched). The counts the service answers are checked against these.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { createIds, systemClock } from "../src/adapters/clock-and-ids.ts";
import { openStore } from "../src/adapters/storage/open-store.ts";
import { createApiKey } from "../src/app/access/api-keys.ts";
import { createFixture } from "../test/helpers/service.ts";
import { createDatabase, dropAll, type Engine } from "./databases.ts";
import { startPinned, stopAll, stopChild } from "./processes.ts";
import { openSeedConnection } from "./seed.ts";
import type { ServerInfo } from "./server.ts";
import { percentile } from "./stats.ts";

const { values: opts } = parseArgs({
  options: {
    engine: { type: "string", default: "sqlite" },
    rows: { type: "string", default: "1000000" },
    stored: { type: "string", default: "1000000" },
    days: { type: "string", default: "30" },
    // V8 flags for the server (e.g. --max-semi-space-size=2), space-separated.
    "node-flags": { type: "string", default: "" },
    // Print the server's process.memoryUsage() every this many ms (0: not).
    "memory-ms": { type: "string", default: "0" },
    // Let the server idle this long after it started, before the upload.
    "idle-ms": { type: "string", default: "0" },
    // Clicks through the service before the upload (its heap as after traffic, not just started).
    "clicks-before": { type: "string", default: "0" },
    // During the upload, GET /readyz (a tiny commit on the service's connection) this often (0: not).
    "probe-ms": { type: "string", default: "50" },
  },
});
const DAY = 86_400_000;
const CHUNK = 100_000;
const log = (line: string) => process.stdout.write(`${line}\n`);
const pad = (n: number) => String(n).padStart(12, "0");

/** Stored conversion n's occurred_at, the same in SQL and here. */
const timeOf = (n: number, stored: number, start: number, end: number) =>
  start + Math.floor((n * (end - start)) / Math.max(1, stored));

async function seed(
  url: string,
  engine: Engine,
  operatorId: number,
  programId: number,
  range: {
    stored: number;
    start: number;
    end: number;
  },
): Promise<void> {
  const db = await openSeedConnection(url);
  const padded = engine === "sqlite" ? "printf('%012d', n)" : "lpad(CAST(n AS TEXT), 12, '0')";
  const at = `(CAST(? AS BIGINT) + (n * CAST(? AS BIGINT)) / CAST(? AS BIGINT))`;
  const source =
    engine === "sqlite"
      ? {
          with: "WITH RECURSIVE s(n) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT n + 1 FROM s WHERE n + 1 < ?) ",
          from: "s",
        }
      : { with: "", from: "generate_series(CAST(? AS BIGINT), CAST(? AS BIGINT) - 1) AS s(n)" };
  const sql = `${source.with}INSERT INTO conversions (id, operator_id, txid, content_hash, event, program_id,
      affiliate_id, link_id, click_id, player_id, amount_minor, currency, lots_milli, reverses_id, occurred_at,
      received_at, unattributed_reason, test, sub_id, extra, response)
    SELECT 'scv' || ${padded}, ${operatorId}, 'stx' || ${padded}, 'seed', 'ftd', ${programId}, NULL, NULL, NULL,
      'spl' || ${padded}, 2500, 'EUR', NULL, NULL, ${at}, ${at}, 'no_click_id', 0, NULL, '{}', '{"code":"accepted"}'
    FROM ${source.from}`;
  const time = [range.start, range.end - range.start, Math.max(1, range.stored)];
  try {
    for (let from = 0; from < range.stored; from += CHUNK) {
      const to = Math.min(range.stored, from + CHUNK);
      const params = [...time, ...time];
      await db.run(sql, engine === "sqlite" ? [from, to, ...params] : [...params, from, to]);
    }
  } finally {
    await db.close();
  }
}

/** The operator's file; returns how many rows of each kind it holds. */
async function writeFile(file: string, rows: number, stored: number, start: number, end: number) {
  const out = createWriteStream(file);
  const expected = { matched: 0, missing: 0, mismatched: 0 };
  out.write("event,txid,player_id,amount,currency,occurred_at\r\n");
  let buffer = "";
  for (let n = 0; n < rows; n++) {
    const received = n < stored;
    const at = new Date(timeOf(n % stored, stored, start, end)).toISOString();
    let line: string;
    if (!received || n % 100 === 7) {
      expected.missing++;
      line = `ftd,new${pad(n)},npl${pad(n)},25.00,EUR,${at}`;
    } else if (n % 100 === 57) {
      expected.mismatched++;
      line = `ftd,stx${pad(n)},spl${pad(n)},26.00,EUR,${at}`;
    } else {
      expected.matched++;
      line = `ftd,stx${pad(n)},spl${pad(n)},25.00,EUR,${at}`;
    }
    buffer += `${line}\r\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
  return { ...expected, extra: stored - expected.matched - expected.mismatched };
}

/**
 * POSTs the file, streamed, and waits for the answer however long the comparison takes (fetch's
 * client gives up after 300 s without response headers: a PostgreSQL run under load took longer).
 */
function upload(url: string, key: string, file: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    createReadStream(file).pipe(req);
  });
}

/**
 * While `until` is pending, GET /readyz every `everyMs`, one at a time: the service's own commits
 * (and its event loop) while the comparison runs; `sample` after each. Returns each answer's time in ms.
 */
async function probeReady(
  url: string,
  everyMs: number,
  until: Promise<unknown>,
  sample: () => void,
): Promise<number[]> {
  const times: number[] = [];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  while (!done && everyMs > 0) {
    const t0 = performance.now();
    const response = await fetch(`${url}/readyz`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`/readyz answered ${response.status}`);
    times.push(performance.now() - t0);
    sample();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return times;
}

/** `count` clicks on the link, 32 at a time: the service's hot path, as traffic before the upload. */
async function takeClicks(url: string, code: string, count: number): Promise<void> {
  let next = 0;
  const one = async (): Promise<void> => {
    while (next++ < count) {
      const response = await fetch(`${url}/c/${code}?sub1=warm`, { redirect: "manual" });
      await response.arrayBuffer();
      if (response.status !== 302) throw new Error(`click answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, one));
}

/** A process's resident set in MB: now (VmRSS) or its peak (VmHWM). */
const memoryMb = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};
const rssMb = (pid: number): number => memoryMb(pid, "VmRSS");
const peakRssMb = (pid: number): number => memoryMb(pid, "VmHWM");

async function main(): Promise<void> {
  const engine = opts.engine as Engine;
  const rows = Number(opts.rows);
  const stored = Number(opts.stored);
  const database = await createDatabase(engine);
  const store = openStore(database.url);
  await store.migrate();
  const fixture = await createFixture(store);
  const key = await createApiKey(store, systemClock, createIds(), {
    name: "bench admin",
    role: "admin",
    operatorId: null,
    affiliateId: null,
  });
  await store.close();
  if (!key.ok) throw new Error(key.error.message);
  const end = Date.now() - DAY;
  const start = end - Number(opts.days) * DAY;
  let t0 = performance.now();
  await seed(database.url, engine, fixture.operator.id, fixture.program.id, { stored, start, end });
  await database.analyze();
  log(`seeded ${stored} conversions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const file = path.join(path.dirname(database.url.replace(/^sqlite:/, "")) || "/tmp", "events.csv");
  const expected = await writeFile(
    engine === "sqlite" ? file : `/tmp/postwire-reconcile-${process.pid}.csv`,
    rows,
    stored,
    start,
    end,
  );
  const csv = engine === "sqlite" ? file : `/tmp/postwire-reconcile-${process.pid}.csv`;
  log(`file: ${rows} rows, ${(statSync(csv).size / 1024 / 1024).toFixed(1)} MB`);

  const flags = opts["node-flags"].split(" ").filter(Boolean);
  const server = await startPinned<ServerInfo>(0, [process.execPath, ...flags, "bench/server.ts"], {
    ...process.env,
    DATABASE_URL: database.url,
    BENCH_FIXTURE: "existing",
    BENCH_MEMORY_MS: opts["memory-ms"],
  });
  try {
    await takeClicks(server.info.url, server.info.linkCode, Number(opts["clicks-before"]));
    await new Promise((resolve) => setTimeout(resolve, Number(opts["idle-ms"])));
    const before = peakRssMb(server.info.pid);
    const idle = rssMb(server.info.pid);
    const query = new URLSearchParams({
      operator_id: String(fixture.operator.id),
      from: new Date(start).toISOString(),
      to: new Date(end + DAY).toISOString(),
    });
    t0 = performance.now();
    const uploading = upload(`${server.info.url}/v1/reconciliations?${query}`, key.value.secret, csv);
    // The highest resident set seen during the upload (VmHWM may be start-up's).
    let uploadRss = 0;
    const probes = await probeReady(server.info.url, Number(opts["probe-ms"]), uploading, () => {
      uploadRss = Math.max(uploadRss, rssMb(server.info.pid));
    });
    const response = await uploading;
    const text = response.text;
    const seconds = (performance.now() - t0) / 1000;
    if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${text.slice(0, 500)}`);
    const run = JSON.parse(text) as { counts: Record<string, number>; id: string };
    const peak = peakRssMb(server.info.pid);
    log(`engine ${engine}, node ${server.info.node}`);
    log(`reconciled ${rows} rows against ${stored} stored conversions in ${seconds.toFixed(1)} s`);
    log(
      `server peak RSS ${peak.toFixed(0)} MB (before the upload: peak ${before.toFixed(0)} MB, resident ${idle.toFixed(0)} MB)${flags.length ? ` with ${flags.join(" ")}` : ""}`,
    );
    if (probes.length) {
      const sorted = [...probes].sort((a, b) => a - b);
      const ms = (p: number) => percentile(sorted, p).toFixed(1);
      log(
        `/readyz during the upload (${sorted.length} probes): p50 ${ms(50)} ms, p99 ${ms(99)} ms, max ${ms(100)} ms`,
      );
      log(`highest resident during the upload (sampled with each probe): ${uploadRss.toFixed(0)} MB`);
    }
    const samples = server.stderr().match(/^bench-memory .*$/gm);
    if (samples) log(samples.join("\n"));
    log(`counts ${JSON.stringify(run.counts)}`);
    for (const [category, count] of Object.entries(expected))
      if (run.counts[category] !== count)
        throw new Error(`${category}: expected ${count}, the service counted ${run.counts[category]}`);
    log("counts as expected");
    if (engine === "sqlite")
      log(`target (under 60 s, under 300 MB): ${seconds < 60 && peak < 300 ? "met" : "NOT met"}`);
  } finally {
    await stopChild(server.child);
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    await dropAll();
  });
