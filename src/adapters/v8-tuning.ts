/**
 * Process-wide V8 settings for a request-serving process, applied once when the service starts.
 *
 * Allocation-site pretenuring is turned off. V8 moves an allocation site to the old generation
 * once enough of its objects survive a scavenge. Here that happens whenever a commit or a pause
 * keeps a few hundred requests in flight. From then on, every parse, request-log and row object
 * of every request is allocated in the old generation and dies there. It fills at about 10 MB/s
 * at 6,400 postbacks/s, so a full mark-compact runs every 2–3 s. Its concurrent marking and
 * sweeping share the service's core, and each one stalls the event loop for 10–40 ms. Without
 * pretenuring these objects die young, in scavenges of about 2 ms (bench/README.md, "Latency at
 * half of peak").
 *
 * A flag given on node's command line wins (`node --allocation-site-pretenuring …`): the setting
 * is left alone when the command line names it. (NODE_OPTIONS cannot carry this V8 flag.)
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const FLAG = "allocation-site-pretenuring";

/** Whether node's own arguments (process.execArgv) already decide the flag. */
export function namesPretenuring(args: readonly string[]): boolean {
  return args.some((arg) => arg.replaceAll("_", "-").includes(FLAG));
}

/** The flags to set, given node's own arguments: none when they already decide. */
export function runtimeFlags(execArgv: readonly string[]): string[] {
  if (namesPretenuring(execArgv)) return [];
  return [`--no-${FLAG}`];
}

let applied = false;

/** Applies the settings, once per process. */
export function tuneRuntime(): void {
  if (applied) return;
  applied = true;
  for (const flag of runtimeFlags(process.execArgv)) setFlagsFromString(flag);
}

/**
 * One full, memory-reducing collection, for when the service has started. Start-up (loading
 * modules, migrating, compiling routes) grows the young generation to its maximum (64 MB
 * committed) and the old generation past what stays live, and an idle service runs no collection
 * that would shrink them: it idled at ~230 MB resident, ~75 MB of it heap holding nothing
 * (bench/README.md, "Reconciliation at size"). Under load V8 grows the young generation again as
 * before: no GC setting changes. `gc` is taken from a context created while --expose-gc is set,
 * and the flag is cleared again at once (no other context gets `gc`).
 */
export function releaseStartupHeap(): void {
  setFlagsFromString("--expose-gc");
  let gc: (options: object) => void;
  try {
    gc = runInNewContext("gc") as typeof gc;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
  // "last-resort": a collection that reduces the footprint (a "regular" one keeps the young generation).
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
}
