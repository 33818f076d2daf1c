/**
 * Outbound delivery benchmark (bench/DELIVERIES.md). Run: ./node_modules/.bin/node bench/deliveries.ts
 * [--n 20000] [--rounds 3] [--concurrency 64] [--rate 1000] [--seconds 4] [--skip-latency]
 *
 * 1. Throughput: N due deliveries written straight into a fresh SQLite outbox, then timed while the
 *    dispatcher drains them (attempt log + state written for each) into a keep-alive receiver pinned
 *    to core 1, against a bare keep-alive http.Agent sender (same receiver, same concurrency),
 *    interleaved over several rounds; medians, with this process's CPU time per delivery (steadier
 *    than the rate when the machine is shared). This process runs on core 0.
 * 2. Isolation: healthy endpoints' latency (enqueue → delivered, p50/p99) at a steady rate, with and
 *    without a dead endpoint (never answers; each attempt ends at the timeout) holding its slots.
 */
import { spawnSync } from "node:child_process";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { bareSend, type Outbox, openOutbox, pin, startReceiverProcess } from "./deliveries-kit.ts";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "64" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "4" },
    "skip-latency": { type: "boolean", default: false },
  },
});
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
const HEALTHY = ["/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/h7", "/h8"];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function count(outbox: Outbox, sql: string): number {
  const db = new DatabaseSync(outbox.file, { readOnly: true });
  try {
    return Number((db.prepare(sql).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** Waits until no healthy delivery is pending (checked every 20 ms on one read-only connection). */
async function drained(outbox: Outbox, healthyIds: string): Promise<void> {
  const db = new DatabaseSync(outbox.file, { readOnly: true });
  const pending = db.prepare(
    `SELECT 1 FROM deliveries WHERE state = 'pending' AND +endpoint_id IN (${healthyIds}) LIMIT 1`,
  );
  try {
    while (pending.get() !== undefined) await sleep(20);
  } finally {
    db.close();
  }
}

/** Wall time and this process's CPU time (user + system) of a timed section, in ms. */
interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

async function postwireRound(url: string): Promise<Timing> {
  const outbox = await openOutbox(url, HEALTHY);
  const now = Date.now();
  for (const endpoint of outbox.endpoints) await outbox.fill(endpoint, N / HEALTHY.length, now);
  const dispatcher = outbox.dispatcher(CONCURRENCY, CONCURRENCY, 5000);
  const timing = await timed(async () => {
    await dispatcher.start();
    await drained(outbox, outbox.endpoints.map((e) => e.id).join(","));
  });
  await dispatcher.stop();
  const delivered = count(outbox, "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'delivered'");
  const attempts = count(outbox, "SELECT COUNT(*) AS n FROM delivery_attempts WHERE http_status = 200");
  if (delivered !== N || attempts !== N)
    throw new Error(`expected ${N}, got ${delivered} delivered, ${attempts} attempts`);
  await outbox.close();
  return timing;
}

/** Healthy endpoints' enqueue→delivered latency at a steady rate, optionally next to a dead endpoint. */
async function latencyRun(url: string, withDead: boolean) {
  const outbox = await openOutbox(url, [...HEALTHY.slice(0, 4), "/dead"]);
  const healthy = outbox.endpoints.slice(0, 4);
  const dead = outbox.endpoints[4]!;
  if (withDead) await outbox.fill(dead, 500, Date.now());
  const dispatcher = outbox.dispatcher(32, 4, 2000);
  await dispatcher.start();
  const perTick = Math.max(1, Math.round(Number(args.rate) / 100));
  const end = performance.now() + Number(args.seconds) * 1000;
  let i = 0;
  while (performance.now() < end) {
    await outbox.fill(healthy[i++ % healthy.length]!, perTick, Date.now());
    await sleep(10);
  }
  const ids = healthy.map((e) => e.id).join(",");
  await drained(outbox, ids);
  const db = new DatabaseSync(outbox.file, { readOnly: true });
  const rows = db
    .prepare(`SELECT delivered_at - created_at AS ms FROM deliveries WHERE endpoint_id IN (${ids})`)
    .all() as Array<{ ms: number }>;
  const deadAttempts = count(
    outbox,
    `SELECT COUNT(*) AS n FROM delivery_attempts WHERE endpoint_id = ${dead.id}`,
  );
  db.close();
  // The dead endpoint's attempts in flight end at their timeout; stop() waits for them.
  await dispatcher.stop();
  await outbox.close();
  const ms = rows.map((r) => r.ms);
  return { deliveries: ms.length, p50: pct(ms, 50), p99: pct(ms, 99), deadAttempts };
}

const OTHERS = "wrk |constant-rate.ts|bench/server.ts|bare-server.ts";
const othersRunning = (): boolean =>
  spawnSync("pgrep", ["-f", OTHERS], { encoding: "utf8" }).stdout.trim() !== "";

/**
 * Waits (up to 5 min) until no measured run of the ingest benchmark (bench/run.ts: its wrk,
 * constant-rate generator or servers) is going: the two must not share the CPUs while timing.
 */
async function quiet(): Promise<void> {
  const until = Date.now() + 300_000;
  if (othersRunning()) console.log("waiting for the ingest benchmark's run to finish…");
  while (othersRunning() && Date.now() < until) await sleep(500);
}

async function main(): Promise<void> {
  await quiet();
  pin(process.pid, 0);
  const receiver = await startReceiverProcess(1);
  try {
    const rates = { bare: [] as number[], postwire: [] as number[] };
    const cpu = { bare: [] as number[], postwire: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      await quiet();
      // Interleaved, the order alternating, so drift of the machine hits both alike.
      const order = round % 2 === 0 ? (["bare", "postwire"] as const) : (["postwire", "bare"] as const);
      for (const which of order) {
        const t =
          which === "bare"
            ? await timed(() => bareSend(receiver.url, N, CONCURRENCY))
            : await postwireRound(receiver.url);
        rates[which].push((N / t.ms) * 1000);
        // CPU time of this process per delivery: less sensitive than the rate to a busy machine.
        cpu[which].push((t.cpuMs * 1000) / N);
        const shared = othersRunning() ? " (another benchmark started meanwhile)" : "";
        console.log(
          `round ${round + 1} ${which}: ${Math.round((N / t.ms) * 1000)} deliveries/s, cpu ${((t.cpuMs * 1000) / N).toFixed(1)} µs/delivery${shared}`,
        );
      }
    }
    const b = median(rates.bare);
    const p = median(rates.postwire);
    console.log(
      `\nmedian of ${ROUNDS}: bare ${Math.round(b)}/s, postwire ${Math.round(p)}/s (${((p / b) * 100).toFixed(1)} % of bare); target ≥ 10000/s: ${p >= 10_000 ? "met" : "NOT met"}`,
    );
    console.log(
      `cpu per delivery (median): bare ${median(cpu.bare).toFixed(1)} µs, postwire ${median(cpu.postwire).toFixed(1)} µs`,
    );
    if (!args["skip-latency"]) {
      for (const withDead of [false, true]) {
        const r = await latencyRun(receiver.url, withDead);
        console.log(
          `latency ${withDead ? "with a dead endpoint" : "healthy only      "}: ${r.deliveries} deliveries, p50 ${r.p50} ms, p99 ${r.p99} ms (dead endpoint attempts: ${r.deadAttempts})`,
        );
      }
    }
  } finally {
    receiver.stop();
  }
}

await main();
