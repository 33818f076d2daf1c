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
