/**
 * CPU accounting for runs on a shared machine: wait (bounded) for other work to let go of the CPUs
 * before a run, and during a run measure how much CPU went to the server, the load generator, our
 * PostgreSQL backends, and everything else ("foreign": other users of the machine), so a noisy run
 * can be recognised and repeated. Linux /proc only; elsewhere the figures are NaN.
 */
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const TICKS_PER_SECOND = 100;

/**
 * Process-context CPU seconds (user + nice + system) of all cores, seconds stolen by the
 * hypervisor (a virtual machine's CPUs serving other guests), and all time.
 */
function machineTimes(): { busy: number; steal: number; total: number } {
  // First line of /proc/stat: cpu user nice system idle iowait irq softirq steal …
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: (fields[0]! + fields[1]! + fields[2]!) / TICKS_PER_SECOND,
    steal: fields[7]! / TICKS_PER_SECOND,
    total: fields.slice(0, 8).reduce((a, b) => a + b, 0) / TICKS_PER_SECOND,
  };
}

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read. */
export function processCpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

const POSTGRES_AUX = /^postgres: .*(checkpointer|background writer|walwriter|wal writer|launcher)/;

/**
 * PostgreSQL processes that work for the benchmark: the postmaster, its auxiliary processes and
 * the backends (and autovacuum workers) of our postwire_bench_ databases.
 */
function ourPostgres(): Map<number, number> {
  const cpu = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return cpu;
  }
  for (const name of pids) {
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes("postwire_bench_") || POSTGRES_AUX.test(cmd) || /\/bin\/postgres /.test(cmd)) {
        cpu.set(Number(name), processCpuSeconds(Number(name)));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return cpu;
}

/** Share of all CPUs busy over `ms` (0…1); NaN where /proc/stat is missing. */
export async function busyShare(ms = 500): Promise<number> {
  try {
    const a = machineTimes();
    await sleep(ms);
    const b = machineTimes();
    return (b.busy - a.busy) / Math.max(1e-9, b.total - a.total);
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the CPUs are at most `threshold` busy over half a second, for at most `maxSeconds`.
 * Returns the last busy share seen.
 */
export async function waitForQuiet(maxSeconds: number, threshold = 0.1): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let share = await busyShare();
  while (!(share <= threshold) && Date.now() < deadline) share = await busyShare();
  return share;
}

/** Where the CPU went during a run, in cores (1 = one core busy for the whole run). */
export interface CpuUse {
  readonly serverCpu: number;
  readonly loadCpu: number;
  readonly postgresCpu: number;
  /**
   * Everything else: other users of the machine, plus CPU time the hypervisor gave to other
   * guests (steal), which a server pinned to a virtual core loses just the same.
   */
  readonly foreignCpu: number;
}

/**
 * Starts accounting; the returned function ends it, given the load generator's CPU seconds
 * (measured by the shell that ran it, since it has exited by then).
 */
export function startCpuAccounting(serverPid: number): (loadCpuSeconds: number) => CpuUse {
  let machine: { busy: number; steal: number; total: number };
  try {
    machine = machineTimes();
  } catch {
    machine = { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  }
  const server = processCpuSeconds(serverPid);
  const postgres = ourPostgres();
  const runner = process.cpuUsage();
  const started = performance.now();
  return (loadCpuSeconds) => {
    const seconds = (performance.now() - started) / 1000;
    let busy = Number.NaN;
    let steal = Number.NaN;
    try {
      const now = machineTimes();
      busy = now.busy - machine.busy;
      steal = now.steal - machine.steal;
    } catch {
      // No /proc/stat.
    }
    const serverUsed = processCpuSeconds(serverPid) - server;
    let postgresUsed = 0;
    for (const [pid, after] of ourPostgres()) postgresUsed += after - (postgres.get(pid) ?? 0);
    const runnerUsage = process.cpuUsage(runner);
    const runnerUsed = (runnerUsage.user + runnerUsage.system) / 1e6;
    const foreign = busy - serverUsed - loadCpuSeconds - postgresUsed - runnerUsed;
    return {
      serverCpu: serverUsed / seconds,
      loadCpu: loadCpuSeconds / seconds,
      postgresCpu: postgresUsed / seconds,
      foreignCpu: (Math.max(0, foreign) + steal) / seconds,
    };
  };
}

/**
 * Runs a measurement again (up to `retries` times) while other users of the machine took more
 * than `noiseLimit` cores during it; keeps the quietest attempt.
 */
export async function leastNoisy<T extends { readonly foreignCpu: number }>(
  opts: { readonly retries: number; readonly noiseLimit: number },
  measure: () => Promise<T>,
): Promise<T> {
  let best: T | undefined;
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    const run = await measure();
    if (!best || run.foreignCpu < best.foreignCpu) best = run;
    if (!(run.foreignCpu > opts.noiseLimit)) break;
    if (attempt < opts.retries) {
      console.log(
        `    (other work took ${run.foreignCpu.toFixed(2)} cores during that run: measuring again)`,
      );
    }
  }
  return best!;
}
