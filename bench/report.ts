/** Tables of benchmark results: medians across rounds, ratios to the bare server, pass/fail. */
import { median } from "./stats.ts";
import { type LatencyRun, type PeakRun, VARIANTS, type VariantName } from "./variants.ts";

/** p99 at half of peak load must stay below this (the latency target). */
export const P99_TARGET_MS = 10;

export interface PeakSummary {
  readonly variant: VariantName;
  /** wrk connections of these runs. */
  readonly connections: number;
  readonly valid: number;
  readonly runs: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median requests/s over the bare server's median requests/s. */
  readonly ratio: number;
  /** Medians, in cores: the server's CPU, and other users' CPU (noise) during the runs. */
  readonly serverCpu: number;
  readonly foreignCpu: number;
  /** Median requests per commit (group-commit batch size); NaN for the bare server. */
  readonly batch: number;
  readonly target: number | undefined;
  readonly pass: boolean | undefined;
}

const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "—";

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

type Medians = Omit<PeakSummary, "variant" | "ratio" | "target" | "pass">;

function mediansOf(runs: readonly PeakRun[], connections: number): Medians {
  const valid = runs.filter((r) => r.problems.length === 0);
  const m = (pick: (r: PeakRun) => number) => median(valid.map(pick));
  return {
    connections,
    runs: runs.length,
    valid: valid.length,
    rps: m((r) => r.rps),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    serverCpu: m((r) => r.serverCpu),
    foreignCpu: m((r) => r.foreignCpu),
    batch: m((r) => r.averageBatch ?? Number.NaN),
  };
}

/**
 * Medians per variant: at its best connection count ("peak", ratio to the bare server's peak), or
 * at every count ("each", ratio to the bare server at the same count).
 */
export function summarisePeaks(
  variants: readonly VariantName[],
  runs: readonly PeakRun[],
  mode: "peak" | "each" = "peak",
): PeakSummary[] {
  const counts = [...new Set(runs.map((r) => r.connections))].sort((a, b) => a - b);
  const at = (name: VariantName, connections: number) =>
    mediansOf(
      runs.filter((r) => r.variant === name && r.connections === connections),
      connections,
    );
  const best = (name: VariantName) =>
    counts
      .map((c) => at(name, c))
      .reduce((a, b) =>
        (Number.isFinite(b.rps) ? b.rps : -1) > (Number.isFinite(a.rps) ? a.rps : -1) ? b : a,
      );
  const summary = (name: VariantName, m: Medians, bare: Medians): PeakSummary => {
    const ratio = m.rps / bare.rps;
    const target = VARIANTS[name].target;
    const complete = m.valid === m.runs && m.runs > 0 && bare.valid === bare.runs && bare.runs > 0;
    const pass = target === undefined ? undefined : complete && ratio >= target;
    return { variant: name, ...m, ratio, target, pass };
  };
  if (mode === "each") {
    return variants.flatMap((name) => counts.map((c) => summary(name, at(name, c), at("bare", c))));
  }
  const bare = best("bare");
  return variants.map((name) => summary(name, best(name), bare));
}

const verdict = (pass: boolean | undefined) => (pass === undefined ? "—" : pass ? "PASS" : "FAIL");

export function peakTable(summaries: readonly PeakSummary[]): string {
  return table(
    [
      "variant",
      "conns",
      "req/s",
      "p50 ms",
      "p99 ms",
      "ratio",
      "target",
      "result",
      "valid runs",
      "batch",
      "server CPU",
      "other CPU",
    ],
    summaries.map((s) => [
      s.variant,
      String(s.connections),
      fmt(s.rps),
      fmt(s.p50Ms, 2),
      fmt(s.p99Ms, 2),
      fmt(s.ratio, 3),
      s.target === undefined ? "—" : `≥ ${fmt(s.target, 2)}`,
      verdict(s.pass),
      `${s.valid}/${s.runs}`,
      fmt(s.batch, 1),
      fmt(s.serverCpu, 2),
      fmt(s.foreignCpu, 2),
    ]),
  );
}

export function latencyPasses(run: LatencyRun): boolean {
  return run.problems.length === 0 && run.result.p99 < P99_TARGET_MS;
}

/**
 * Of one variant's latency runs (one per round), the run with the median p99 among the valid
 * ones (the lower of the two middle runs of an even count); with none valid, the first run, so
 * that the table shows it as invalid.
 */
export function medianLatencyRun(runs: readonly LatencyRun[]): LatencyRun {
  const valid = runs.filter((r) => r.problems.length === 0).sort((a, b) => a.result.p99 - b.result.p99);
  if (!valid.length) return runs[0]!;
  return valid[(valid.length - 1) >> 1]!;
}

/**
 * One row per variant: `runs[i]`, its run with the median p99 (medianLatencyRun of `rounds[i]`,
 * its runs one per round, whose p99s are shown too), and `floors[i]`, the bare server's at the
 * same rate.
 */
export function latencyTable(
  runs: readonly LatencyRun[],
  floors: readonly LatencyRun[],
  rounds: ReadonlyArray<readonly LatencyRun[]>,
): string {
  return table(
    [
      "variant",
      "conns",
      "rate",
      "achieved",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "p99 each",
      "p99.9 ms",
      "max ms",
      "p99 sent",
      "bare p99",
      "target",
      "result",
      "batch",
      "sync p99",
      "gc max",
      "gc total",
      "server CPU",
      "other CPU",
    ],
    runs.map((r, i) => [
      r.variant,
      String(r.connections),
      fmt(r.result.rate),
      fmt(r.result.achievedRps),
      fmt(r.result.p50, 2),
      fmt(r.result.p90, 2),
      fmt(r.result.p99, 2),
      rounds[i]!.map((x) => (x.problems.length ? "inv." : fmt(x.result.p99, 1))).join(" / "),
      fmt(r.result.p999, 2),
      fmt(r.result.max, 2),
      fmt(r.result.sendP99, 2),
      fmt(floors[i]?.result.p99 ?? Number.NaN, 2),
      `p99 < ${P99_TARGET_MS}`,
      r.problems.length ? "INVALID" : latencyPasses(r) ? "PASS" : "FAIL",
      fmt(r.averageBatch ?? Number.NaN, 1),
      fmt(r.durableP99Ms ?? Number.NaN, 1),
      fmt(r.gcMaxMs ?? Number.NaN, 1),
      fmt(r.gcTotalMs ?? Number.NaN, 0),
      fmt(r.serverCpu, 2),
      fmt(r.foreignCpu, 2),
    ]),
  );
}

/** One line per latency run, as it finishes. */
export function latencyLine(run: LatencyRun): string {
  const r = run.result;
  const state = run.problems.length ? `INVALID: ${run.problems.join("; ")}` : "ok";
  const backlog = run.backlog ? `  backlog ${run.backlog.before}→${run.backlog.after}` : "";
  return `  ${run.variant.padEnd(16)} ${fmt(r.rate).padStart(7)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  p99.9 ${fmt(r.p999, 2)} ms  max ${fmt(r.max, 2)} ms${backlog}  CPU server ${fmt(run.serverCpu, 2)}  ${state}`;
}

/** One line per measured run, as it finishes. */
export function peakLine(run: PeakRun): string {
  const stored = run.stored === undefined ? "" : `  stored ${run.stored}`;
  const batch =
    run.averageBatch === undefined
      ? ""
      : `  batch ${fmt(run.averageBatch, 1)}  sync p99 ${fmt(run.durableP99Ms ?? Number.NaN, 1)} ms`;
  const state = run.problems.length ? `INVALID: ${run.problems.join("; ")}` : "ok";
  const backlog = run.backlog ? `  backlog ${run.backlog.before}→${run.backlog.after}` : "";
  const cpu = `CPU server ${fmt(run.serverCpu, 2)} wrk ${fmt(run.loadCpu, 2)} pg ${fmt(run.postgresCpu, 2)} other ${fmt(run.foreignCpu, 2)}`;
  return `  ${run.variant.padEnd(16)} c${String(run.connections).padEnd(4)} ${fmt(run.rps).padStart(8)} req/s  p50 ${fmt(run.p50Ms, 2)} ms  p99 ${fmt(run.p99Ms, 2)} ms${stored}${batch}${backlog}  ${cpu}  ${state}`;
}
