/**
 * The Postwire benchmark (see bench/README.md): peak throughput of signed, attributed postback
 * ingest and of click redirects, on SQLite and PostgreSQL, against a bare node:http server measured
 * in the same run with the same load generator; then latency at half of each variant's peak.
 *
 *   npm run bench -- --rounds 3 --duration 10
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { leastNoisy } from "./cpu.ts";
import { dropAll, POSTGRES_ADMIN_URL, postgresAvailable } from "./databases.ts";
import { type ReceiverProcess, startReceiverProcess } from "./deliveries-kit.ts";
import { requireTool, stopAll } from "./processes.ts";
import {
  latencyLine,
  latencyPasses,
  latencyTable,
  medianLatencyRun,
  type PeakSummary,
  peakLine,
  peakTable,
  summarisePeaks,
} from "./report.ts";
import { snapshotCode } from "./snapshot.ts";
import {
  type LatencyRun,
  measureLatency,
  measurePeak,
  type PeakRun,
  type Settings,
  VARIANT_NAMES,
  VARIANTS,
  type VariantName,
} from "./variants.ts";
import { WRK_HINT } from "./wrk.ts";

const USAGE = `npm run bench -- [options]
  --rounds N            interleaved rounds of every variant (default 3)
  --duration S          seconds of measured load per run (default 10)
  --warmup S            seconds of unmeasured load before each run (default 2)
  --connections N[,M…]  wrk keep-alive connections (default 32,64,256): every variant is measured
                        at each count and its best median is its peak; the open-loop generator
                        then uses that count as its connection limit
  --variants a,b        any of ${VARIANT_NAMES.join(",")} (bare is always included;
                        default: those without "-no-rollups", which measure the service without
                        rollups for comparison)
  --latency-duration S  seconds of constant-rate load at half of peak (default 10; 0 skips it)
  --latency-rounds N    interleaved latency runs per variant, the median p99 counts (default: --rounds)
  --lead-in S           seconds at the latency rate before recording starts (default 3): the first
                        1.5 s after the step from idle to that rate are a transient (bench/README.md)
  --quiet-wait S        before each run, wait up to S s for the CPUs to be ≤ 10 % busy (default 30)
  --noise-limit C       a run during which other processes used more than C cores (default 0.25)
  --retries N           is measured again, up to N times (default 2); the quietest attempt counts
  --cpu-prof            CPU-profile each Postwire server over its measured run in round 1
                        (bench/results/profiles/; summarise with node bench/cpu-profile.ts FILE)
  --snapshot            run the servers from a copy of src/ taken at start (the tree may change
                        under a long run when others are editing it)
  --latency-from FILE   skip the peak phase: take the peaks from an earlier results file
                        (bench/results/bench-….json) and measure only the latency at half of them
  --no-pg-analyze       do not ANALYZE PostgreSQL databases after the warm-up (a fresh database then
                        has no planner statistics: autovacuum analyses at most once a minute)
  --server-core N       core the servers are pinned to (default 0)
  --load-core N         core the load generators are pinned to (default 1)
Environment: BENCH_POSTGRES_URL (default ${POSTGRES_ADMIN_URL}); BATCH_MAX, MAX_PENDING,
PG_POOL_SIZE… are passed to the Postwire servers.`;

const positive = (name: string, raw: string, min = 1): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};

const nonNegative = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!(value >= 0)) throw new Error(`--${name} must be a number ≥ 0`);
  return value;
};

type Options = ReturnType<typeof options>;

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "32,64,256" },
      variants: {
        type: "string",
        default: VARIANT_NAMES.filter((name) => !name.endsWith("-no-rollups")).join(","),
      },
      "latency-duration": { type: "string", default: "10" },
      "latency-rounds": { type: "string" },
      "lead-in": { type: "string", default: "3" },
      "quiet-wait": { type: "string", default: "30" },
      "cpu-prof": { type: "boolean", default: false },
      retries: { type: "string", default: "2" },
      "noise-limit": { type: "string", default: "0.25" },
      snapshot: { type: "boolean", default: false },
      "no-pg-analyze": { type: "boolean", default: false },
      "latency-from": { type: "string" },
      "server-core": { type: "string", default: "0" },
      "load-core": { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const variants = values.variants.split(",").map((v) => v.trim());
  for (const v of variants) {
    if (!(VARIANT_NAMES as readonly string[]).includes(v))
      throw new Error(`unknown variant "${v}"\n${USAGE}`);
  }
  return {
    rounds: positive("rounds", values.rounds),
    duration: positive("duration", values.duration),
    warmup: positive("warmup", values.warmup),
    connections: [...new Set(values.connections.split(",").map((c) => positive("connections", c.trim())))],
    variants: VARIANT_NAMES.filter((v) => v === "bare" || variants.includes(v)),
    latencyDuration: positive("latency-duration", values["latency-duration"], 0),
    latencyRounds: positive("latency-rounds", values["latency-rounds"] ?? values.rounds),
    leadIn: nonNegative("lead-in", values["lead-in"]),
    cpuProf: values["cpu-prof"],
    retries: positive("retries", values.retries, 0),
    noiseLimit: nonNegative("noise-limit", values["noise-limit"]),
    snapshot: values.snapshot,
    pgAnalyze: !values["no-pg-analyze"],
    latencyFrom: values["latency-from"],
    quietWait: positive("quiet-wait", values["quiet-wait"], 0),
    serverCore: positive("server-core", values["server-core"], 0),
    loadCore: positive("load-core", values["load-core"], 0),
  };
}

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]!
      .trim();
  } catch (error) {
    // `wrk -v` prints its version and exits 1.
    return String((error as { stdout?: string }).stdout ?? "")
      .split("\n")[0]!
      .trim();
  }
}

let cleaning: Promise<void> | undefined;
let workDir: string | undefined;
let snapshot: { benchDir: string; remove(): void } | undefined;
let receiver: ReceiverProcess | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    receiver?.stop();
    await stopAll();
    await dropAll();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    snapshot?.remove();
  })();
  return cleaning;
}

async function main(): Promise<void> {
  const opts = options();
  if (Number(process.versions.node.split(".")[0]) < 24) {
    throw new Error(`Node ${process.version}: run with Node 24 (npm run bench uses node_modules/.bin/node)`);
  }
  requireTool("wrk", WRK_HINT);
  requireTool("taskset", "It is part of util-linux: apt-get install -y util-linux");
  const cores = cpus().length;
  if (opts.serverCore >= cores || opts.loadCore >= cores || opts.serverCore === opts.loadCore) {
    throw new Error(`need two distinct cores below ${cores} (got ${opts.serverCore} and ${opts.loadCore})`);
  }
  let variants = opts.variants;
  if (variants.some((v) => VARIANTS[v].engine === "postgres")) {
    const why = await postgresAvailable();
    if (why) {
      console.log(`PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable (${why}): pg variants skipped.`);
      variants = variants.filter((v) => VARIANTS[v].engine !== "postgres");
    }
  }
  // The runner itself waits on the load core, so the server core only runs the server.
  execFileSync("taskset", ["-a", "-cp", String(opts.loadCore), String(process.pid)], { stdio: "ignore" });
  workDir = mkdtempSync(path.join(tmpdir(), "postwire-bench-paths-"));
  mkdirSync(path.join(import.meta.dirname, "results"), { recursive: true });
  if (opts.snapshot) snapshot = snapshotCode();
  // The full pipeline's outbound postbacks go to a keep-alive receiver on the load core.
  if (variants.some((v) => VARIANTS[v].pipeline === "full"))
    receiver = await startReceiverProcess(opts.loadCore);
  const settings: Settings = {
    receiverUrl: receiver?.url,
    serverCore: opts.serverCore,
    loadCore: opts.loadCore,
    connections: opts.connections[0]!,
    seconds: opts.duration,
    warmupSeconds: opts.warmup,
    leadInSeconds: opts.leadIn,
    workDir,
    quietWaitSeconds: opts.quietWait,
    pgAnalyze: opts.pgAnalyze,
    benchDir: snapshot?.benchDir ?? import.meta.dirname,
  };

  console.log(`Postwire benchmark, ${new Date().toISOString()}`);
  console.log(
    `node ${process.version} (${process.execPath}), ${versionOf("wrk", ["-v"])}, ${cores} × ${cpus()[0]?.model}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `servers on core ${opts.serverCore}, wrk -t1 -c${opts.connections.join(",")} on core ${opts.loadCore}; ` +
      `${opts.duration} s per run after a ${opts.warmup} s warm-up; ${opts.rounds} rounds of: ${variants.join(", ")}`,
  );

  const profileDir = path.join(import.meta.dirname, "results", "profiles");
  if (opts.cpuProf) mkdirSync(profileDir, { recursive: true });
  const peaks = opts.latencyFrom
    ? (JSON.parse(readFileSync(opts.latencyFrom, "utf8")) as { peaks: PeakRun[] }).peaks
    : await peakPhase(opts, variants, settings, profileDir);
  const durability = new Map<VariantName, Readonly<Record<string, string>>>();
  for (const run of peaks)
    if (run.durability && !durability.has(run.variant)) durability.set(run.variant, run.durability);

  console.log("\nDurability, as read on each server's own database connection:");
  for (const [name, d] of durability) {
    console.log(
      `  ${name.padEnd(16)} ${Object.entries(d)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  }
  const summaries = summarisePeaks(variants, peaks);
  if (opts.connections.length > 1) {
    console.log("\nEvery connection count, medians of valid runs (ratio to bare at the same count):");
    console.log(peakTable(summarisePeaks(variants, peaks, "each")));
  }
  console.log("\nPeak throughput, closed loop (wrk), medians of valid runs:");
  console.log(peakTable(summaries));

  // Per variant, one run per round (and the bare server's at the same rate); medians reported.
  const measured =
    opts.latencyDuration > 0 ? summaries.filter((s) => s.variant !== "bare" && Number.isFinite(s.rps)) : [];
  const latencyRounds = measured.map((): LatencyRun[] => []);
  const floorRounds = measured.map((): LatencyRun[] => []);
  if (measured.length) {
    for (let round = 1; round <= opts.latencyRounds; round++) {
      console.log(`\nlatency round ${round}/${opts.latencyRounds}`);
      for (const [i, s] of measured.entries()) {
        const these = { ...settings, connections: s.connections };
        const run = await leastNoisy(opts, () =>
          measureLatency(VARIANTS[s.variant], these, s.rps / 2, opts.latencyDuration),
        );
        // The bare server at the same rate: the floor that the machine and the generator set.
        const floor = await leastNoisy(opts, () =>
          measureLatency(VARIANTS.bare, these, s.rps / 2, opts.latencyDuration),
        );
        latencyRounds[i]!.push(run);
        floorRounds[i]!.push(floor);
        for (const r of [run, floor]) console.log(latencyLine(r));
      }
    }
  }
  // The run with the median p99 of each variant's rounds is the one shown and judged.
  const latencies = latencyRounds.map(medianLatencyRun);
  const floors = floorRounds.map(medianLatencyRun);
  if (measured.length) {
    console.log(
      `\nLatency at half of peak, open loop (bench/constant-rate.ts), ${opts.latencyDuration} s each after a ${opts.leadIn} s lead-in, the run with the median p99 of ${opts.latencyRounds}:`,
    );
    console.log(latencyTable(latencies, floors, latencyRounds));
    console.log(
      "(latency counted from when each request was due; 'p99 sent' from when it was written;\n" +
        " 'bare p99': the bare server at the same rate with the same generator)",
    );
  }

  verdicts(summaries, latencies);
  const resultsDir = path.join(import.meta.dirname, "results");
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { options: opts, peaks, summaries, latencies, floors, latencyRounds, floorRounds },
      null,
      2,
    ),
  );
  console.log(`\nAll runs: ${path.relative(process.cwd(), file)}`);
}

/** Every variant at every connection count, interleaved, for `rounds` rounds. */
async function peakPhase(
  opts: Options,
  variants: readonly VariantName[],
  settings: Settings,
  profileDir: string,
): Promise<PeakRun[]> {
  const peaks: PeakRun[] = [];
  const lastRps = new Map<string, number>();
  for (let round = 1; round <= opts.rounds; round++) {
    console.log(`\nround ${round}/${opts.rounds}`);
    // Every other round runs the Postwire variants in reverse order (bare first still), so no
    // variant always follows the same one (a PostgreSQL checkpoint after a heavy run, a warm cache).
    const order =
      round % 2 === 1
        ? variants
        : [...variants.filter((v) => v === "bare"), ...variants.filter((v) => v !== "bare").reverse()];
    for (const connections of opts.connections) {
      for (const name of order) {
        const profiling = opts.cpuProf && round === 1 ? { profileDir } : {};
        const these = { ...settings, connections, ...profiling };
        const key = `${name}@${connections}`;
        const run = await leastNoisy(opts, () =>
          measurePeak(VARIANTS[name], these, lastRps.get(key) ?? 5_000),
        );
        peaks.push(run);
        lastRps.set(key, run.rps);
        console.log(peakLine(run));
        if (run.profile) {
          const relative = path.relative(process.cwd(), run.profile);
          console.log(`    profile: node bench/cpu-profile.ts ${relative} --requests ${run.wrk.sent}`);
        }
      }
    }
  }
  return peaks;
}

function verdicts(summaries: readonly PeakSummary[], latencies: readonly LatencyRun[]): void {
  console.log("\nTargets:");
  for (const s of summaries) {
    if (s.target === undefined) continue;
    const why = s.valid < s.runs ? ` (${s.runs - s.valid} invalid runs)` : "";
    console.log(
      `  ${s.variant.padEnd(16)} ${(s.ratio * 100).toFixed(1)} % of bare, target ≥ ${s.target * 100} %: ${s.pass ? "PASS" : "FAIL"}${why}`,
    );
  }
  for (const run of latencies) {
    console.log(
      `  ${run.variant.padEnd(16)} p99 ${run.result.p99.toFixed(2)} ms at ${Math.round(run.result.rate)} req/s, target < 10 ms: ${latencyPasses(run) ? "PASS" : "FAIL"}`,
    );
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers, dropping databases…`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    console.error(`benchmark failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
