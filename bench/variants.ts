/**
 * The benchmark variants and one measurement of each: a fresh server (bare, or Postwire on a fresh
 * database) pinned to the server core, a warm-up, then the measured load, then the checks that make
 * a run valid (no errors, every answer the expected one, stored rows matching acknowledged ones,
 * durable settings confirmed), then the server is stopped and its database dropped.
 */
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ConstantRateResult } from "./constant-rate.ts";
import { type CpuUse, startCpuAccounting, waitForQuiet } from "./cpu.ts";
import type { BenchDatabase, Engine } from "./databases.ts";
import type { Pipeline } from "./pipeline.ts";
import { runPinned } from "./processes.ts";
import { clickPaths, postbackPaths, writePaths } from "./requests.ts";
import type { ServerInfo } from "./server.ts";
import {
  durabilityProblems,
  resetCommitCount,
  type ServerSettings,
  startServer,
  stopServer,
  toggleProfiler,
} from "./servers.ts";
import { runWrk, type WrkResult, wrkProblems } from "./wrk.ts";

export const VARIANT_NAMES = [
  "bare",
  "sqlite-postback",
  "sqlite-postback-min",
  "sqlite-click",
  "pg-postback",
  "pg-postback-min",
  "pg-click",
  "sqlite-postback-no-rollups",
  "sqlite-click-no-rollups",
  "pg-postback-no-rollups",
  "pg-click-no-rollups",
] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface Variant {
  readonly name: VariantName;
  readonly engine: Engine | undefined;
  readonly kind: "bare" | "postback" | "click";
  /**
   * Postbacks: the full pipeline (the vertical's preset plan and an outbound endpoint at the
   * receiver, as a new user sets a program up: bench/pipeline.ts), or the minimal one (neither).
   */
  readonly pipeline?: Pipeline;
  /** Required share of the bare server's requests/s, when the issue sets one. */
  readonly target: number | undefined;
  /** The service without rollups (BENCH_ROLLUPS=off), to compare with the same variant with them. */
  readonly rollups?: false;
}

type NoRollupsName = Extract<VariantName, `${string}-no-rollups`>;

const WITH_ROLLUPS: Readonly<Record<Exclude<VariantName, NoRollupsName>, Variant>> = {
  bare: { name: "bare", engine: undefined, kind: "bare", target: undefined },
  "sqlite-postback": {
    name: "sqlite-postback",
    engine: "sqlite",
    kind: "postback",
    pipeline: "full",
    target: 0.15,
  },
  "sqlite-postback-min": {
    name: "sqlite-postback-min",
    engine: "sqlite",
    kind: "postback",
    pipeline: "minimal",
    target: 0.2,
  },
  "sqlite-click": { name: "sqlite-click", engine: "sqlite", kind: "click", target: 0.3 },
  "pg-postback": {
    name: "pg-postback",
    engine: "postgres",
    kind: "postback",
    pipeline: "full",
    target: 0.08,
  },
  "pg-postback-min": {
    name: "pg-postback-min",
    engine: "postgres",
    kind: "postback",
    pipeline: "minimal",
    target: 0.1,
  },
  "pg-click": { name: "pg-click", engine: "postgres", kind: "click", target: undefined },
};

/** `name`'s variant run as the service without its rollups (no target of its own). */
const withoutRollups = (name: NoRollupsName): Variant => {
  const base = WITH_ROLLUPS[name.slice(0, -"-no-rollups".length) as keyof typeof WITH_ROLLUPS];
  return { ...base, name, target: undefined, rollups: false };
};

export const VARIANTS: Readonly<Record<VariantName, Variant>> = {
  ...WITH_ROLLUPS,
  // Issue 15: throughput with rollups within 5 % of without, measured in the same run.
  "sqlite-postback-no-rollups": withoutRollups("sqlite-postback-no-rollups"),
  "sqlite-click-no-rollups": withoutRollups("sqlite-click-no-rollups"),
  "pg-postback-no-rollups": withoutRollups("pg-postback-no-rollups"),
  "pg-click-no-rollups": withoutRollups("pg-click-no-rollups"),
};

/** The full pipeline's outbound endpoint: the receiver the runner started. */
function receiverFor(variant: Variant, settings: Settings): string | undefined {
  if (variant.pipeline !== "full") return undefined;
  if (!settings.receiverUrl) throw new Error(`${variant.name} needs the outbound receiver`);
  return settings.receiverUrl;
}

export interface Settings extends ServerSettings {
  /** The keep-alive receiver of the full pipeline's outbound postbacks (on the load core). */
  readonly receiverUrl?: string | undefined;
  readonly loadCore: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Seconds at the latency rate before bench/constant-rate.ts starts recording. */
  readonly leadInSeconds: number;
  readonly workDir: string;
  /** Longest wait, before each measured run, for other work on the machine to quieten down. */
  readonly quietWaitSeconds: number;
  /**
   * ANALYZE PostgreSQL databases after the warm-up. Autovacuum would in a long-running service, but
   * only about once a minute, so a fresh database is otherwise measured with no statistics at all.
   */
  readonly pgAnalyze: boolean;
}

export interface PeakRun extends CpuUse {
  readonly variant: VariantName;
  readonly connections: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly wrk: WrkResult;
  /** Rows the server stored during the measured run (postbacks: conversions; clicks: clicks). */
  readonly stored: number | undefined;
  readonly durability: Readonly<Record<string, string>> | undefined;
  /** Requests per committed transaction during the run: the group-commit batch size. */
  readonly averageBatch: number | undefined;
  /** p99 of the durable step (WAL sync, SQLite COMMIT or PostgreSQL COMMIT round trip), ms. */
  readonly durableP99Ms: number | undefined;
  /** Share of all cores busy just before the run (other users of the machine; 0…1). */
  readonly busyBefore: number;
  /**
   * Full pipeline: outbound deliveries not yet delivered when the measured run started and when it
   * ended (once the answers settled). A dispatcher that keeps up with ingest ends near the start.
   */
  readonly backlog?: { readonly before: number; readonly after: number } | undefined;
  /** The server's CPU profile of the measured run, when profiling. */
  readonly profile?: string;
  /** Why the run is invalid; empty when valid. */
  readonly problems: readonly string[];
}

/** Row count once the server has settled (answers cut off at the end may still be committing). */
async function settledCount(db: BenchDatabase, table: "conversions" | "clicks"): Promise<number> {
  let last = await db.count(table);
  for (let i = 0; i < 20; i++) {
    await sleep(150);
    const now = await db.count(table);
    if (now === last) return now;
    last = now;
  }
  return last;
}

const pendingDeliveries = (db: BenchDatabase | undefined): Promise<number> =>
  db ? db.scalar("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'") : Promise.resolve(0);

/** Paths for `seconds` of load: fresh signed postbacks (sized from `expectedRps`), or clicks. */
function pathsFile(
  variant: Variant,
  info: ServerInfo,
  settings: Settings,
  seconds: number,
  expectedRps: number,
  tag: string,
): string {
  const file = path.join(settings.workDir, `${tag}.paths`);
  const paths =
    variant.kind === "postback"
      ? // Three times the expected rate, and never fewer than a fast server takes in 3 s at 20 k/s:
        // a run that wraps around repeats txids and is invalid.
        postbackPaths(info, Math.max(60_000, Math.ceil(expectedRps * seconds * 3)), tag)
      : clickPaths(variant.kind === "click" ? info.linkCode : "bare");
  writePaths(file, paths);
  return file;
}

const modeOf = (variant: Variant) => (variant.kind === "postback" ? "postback" : "plain");

function wrkFor(variant: Variant, info: ServerInfo, settings: Settings, file: string, seconds: number) {
  return runWrk({
    core: settings.loadCore,
    url: info.url,
    pathsFile: file,
    expectedStatus: variant.kind === "postback" ? 200 : 302,
    mode: modeOf(variant),
    connections: settings.connections,
    seconds,
  });
}

/** Checks of a measured wrk run against what the database holds. */
function storedProblems(variant: Variant, result: WrkResult, stored: number): string[] {
  const problems: string[] = [];
  // Requests wrk had written when it stopped may still be committed; their answers were never read.
  const cutOff = result.sent - result.requests;
  const acknowledged = variant.kind === "postback" ? result.accepted : result.ok;
  if (variant.kind === "postback") {
    if (result.accepted !== result.ok) problems.push(`${result.ok - result.accepted} 200s not "accepted"`);
    if (result.attributed !== result.accepted) {
      problems.push(`${result.accepted - result.attributed} accepted but not attributed`);
    }
  }
  if (stored < acknowledged || stored > acknowledged + cutOff) {
    problems.push(`stored ${stored} rows for ${acknowledged} acknowledged (+ ≤ ${cutOff} cut off)`);
  }
  return problems;
}

let tagSequence = 0;
const newTag = () => `b${Date.now().toString(36)}${(++tagSequence).toString(36)}`;

/** One closed-loop peak measurement with wrk. `expectedRps` sizes the list of fresh txids. */
export async function measurePeak(
  variant: Variant,
  settings: Settings,
  expectedRps: number,
): Promise<PeakRun> {
  const running = await startServer(
    variant.engine,
    settings,
    receiverFor(variant, settings),
    variant.rollups,
  );
  try {
    const { info } = running.server;
    const problems = variant.engine ? durabilityProblems(variant.engine, info.durability) : [];
    const warmFile = pathsFile(variant, info, settings, settings.warmupSeconds, expectedRps, newTag());
    const warm = await wrkFor(variant, info, settings, warmFile, settings.warmupSeconds);
    problems.push(...wrkProblems(warm, modeOf(variant)).map((p) => `warm-up: ${p}`));
    const table = variant.kind === "postback" ? "conversions" : "clicks";
    const before = running.db ? await settledCount(running.db, table) : 0;
    if (settings.pgAnalyze) await running.db?.analyze();
    const file = pathsFile(
      variant,
      info,
      settings,
      settings.seconds,
      Math.max(expectedRps, warm.rps),
      newTag(),
    );
    const busyBefore = await waitForQuiet(settings.quietWaitSeconds);
    const backlogBefore = variant.pipeline === "full" ? await pendingDeliveries(running.db) : undefined;
    const profiling = Boolean(settings.profileDir && variant.engine);
    if (profiling) await toggleProfiler(running);
    resetCommitCount(running);
    const usage = startCpuAccounting(info.pid);
    const result = await wrkFor(variant, info, settings, file, settings.seconds);
    const cpu = usage(result.cpuSeconds);
    const profile = profiling ? await toggleProfiler(running, `${variant.name}-${info.pid}`) : undefined;
    problems.push(...wrkProblems(result, modeOf(variant)));
    let stored: number | undefined;
    if (running.db) {
      stored = (await settledCount(running.db, table)) - before;
      problems.push(...storedProblems(variant, result, stored));
    }
    const backlog =
      backlogBefore === undefined
        ? undefined
        : { before: backlogBefore, after: await pendingDeliveries(running.db) };
    const stats = await stopServer(running);
    return {
      variant: variant.name,
      connections: settings.connections,
      rps: result.rps,
      backlog,
      p50Ms: result.p50_us / 1000,
      p99Ms: result.p99_us / 1000,
      wrk: result,
      stored,
      durability: variant.engine ? info.durability : undefined,
      averageBatch: stats?.commits ? result.sent / stats.commits : undefined,
      durableP99Ms: stats?.durableMs.p99,
      busyBefore,
      ...cpu,
      ...(profile ? { profile } : {}),
      problems,
    };
  } finally {
    await stopServer(running);
  }
}

export interface LatencyRun extends CpuUse {
  readonly variant: VariantName;
  /** The open-loop generator's connection limit. */
  readonly connections: number;
  readonly result: ConstantRateResult;
  readonly stored: number | undefined;
  /** Requests per committed transaction (lead-in included): the group-commit batch size. */
  readonly averageBatch: number | undefined;
  /** p99 of the durable step (WAL sync, SQLite COMMIT or PostgreSQL COMMIT round trip), ms. */
  readonly durableP99Ms: number | undefined;
  /** The longest garbage-collection pause during the run, and all pauses together, ms. */
  readonly gcMaxMs: number | undefined;
  readonly gcTotalMs: number | undefined;
  readonly busyBefore: number;
  /** Full pipeline: deliveries not yet delivered when the run started and when it ended. */
  readonly backlog?: { readonly before: number; readonly after: number } | undefined;
  readonly problems: readonly string[];
}

/** Open-loop latency at `rate` requests/s with bench/constant-rate.ts on the load core. */
export async function measureLatency(
  variant: Variant,
  settings: Settings,
  rate: number,
  seconds: number,
): Promise<LatencyRun> {
  const running = await startServer(
    variant.engine,
    settings,
    receiverFor(variant, settings),
    variant.rollups,
  );
  try {
    const { info } = running.server;
    const problems = durabilityProblems(variant.engine, info.durability);
    const warmFile = pathsFile(variant, info, settings, settings.warmupSeconds, rate * 2, newTag());
    const warm = await wrkFor(variant, info, settings, warmFile, settings.warmupSeconds);
    problems.push(...wrkProblems(warm, modeOf(variant)).map((p) => `warm-up: ${p}`));
    const table = variant.kind === "postback" ? "conversions" : "clicks";
    const before = running.db ? await settledCount(running.db, table) : 0;
    if (settings.pgAnalyze) await running.db?.analyze();
    const args = [
      process.execPath,
      path.join(settings.benchDir, "constant-rate.ts"),
      `--url=${info.url}`,
      `--rate=${Math.round(rate)}`,
      `--seconds=${seconds}`,
      `--lead-in=${settings.leadInSeconds}`,
      `--kind=${variant.kind === "postback" ? "postback" : "click"}`,
      `--connections=${settings.connections}`,
      `--target=${JSON.stringify({ ...info, linkCode: info.linkCode ?? "bare" })}`,
    ];
    const busyBefore = await waitForQuiet(settings.quietWaitSeconds);
    const backlogBefore = variant.pipeline === "full" ? await pendingDeliveries(running.db) : undefined;
    resetCommitCount(running);
    const usage = startCpuAccounting(info.pid);
    const { stdout, cpuSeconds } = await runPinned(
      settings.loadCore,
      args,
      (settings.leadInSeconds + seconds + 60) * 1000,
    );
    const cpu = usage(cpuSeconds);
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as ConstantRateResult;
    if (result.errors) problems.push(`${result.errors} request errors`);
    if (result.unexpected) problems.push(`${result.unexpected} unexpected answers (${result.lastBadStatus})`);
    if (result.unfinished) problems.push(`${result.unfinished} requests unanswered`);
    if (variant.kind === "postback" && result.accepted !== result.ok) {
      problems.push(`${result.ok - result.accepted} 200s not "accepted"`);
    }
    let stored: number | undefined;
    if (running.db) {
      stored = (await settledCount(running.db, table)) - before;
      // The generator waits for every answer, so the counts must match exactly.
      const acknowledged = variant.kind === "postback" ? result.accepted : result.ok;
      if (stored !== acknowledged) problems.push(`stored ${stored} rows for ${acknowledged} acknowledged`);
    }
    const backlog =
      backlogBefore === undefined
        ? undefined
        : { before: backlogBefore, after: await pendingDeliveries(running.db) };
    const stats = await stopServer(running);
    return {
      variant: variant.name,
      connections: settings.connections,
      result,
      backlog,
      stored,
      averageBatch: stats?.commits ? result.sentTotal / stats.commits : undefined,
      durableP99Ms: stats?.durableMs.p99,
      gcMaxMs: stats?.gcMs?.max,
      gcTotalMs: stats?.gcMs?.total,
      busyBefore,
      ...cpu,
      problems,
    };
  } finally {
    await stopServer(running);
  }
}
