/**
 * A private PostgreSQL cluster a test starts, restarts, crashes and removes itself (never the
 * machine's shared server): initdb into a temporary folder, pg_ctl on a free port of 127.0.0.1,
 * its socket in that folder. initdb refuses to run as root, so as root the cluster runs as the
 * `postgres` user (or `nobody`), which owns the folder. Every command is bounded in time, and
 * the cluster is stopped and removed by `remove()`, or at the latest when the process exits.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface PrivatePostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:port/<database> */
  url(database?: string): string;
  /** pg_ctl restart -m fast: sessions are terminated (57P01), the server comes back. */
  restart(): Promise<void>;
  /** pg_ctl stop -m immediate: a crash, no clean shutdown; then down until start(). */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops it at once and removes its folder (synchronous: also run when the process exits). */
  remove(): void;
}

const COMMAND_TIMEOUT_MS = 60_000;

/** Where initdb and pg_ctl are (the newest version installed), or undefined. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], "bin");
}

/** A user to run the cluster as when we are root (initdb refuses root). */
function clusterUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    const id = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (id.status === 0 && gid.status === 0) return { name, uid: Number(id.stdout), gid: Number(gid.stdout) };
  }
  throw new Error("running as root, and neither a postgres nor a nobody user exists to run initdb as");
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
  const user = clusterUser();
  const dir = mkdtempSync(path.join(tmpdir(), "postwire-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  const port = await freePort();
  const command = (tool: string, args: string[]): [string, string[]] =>
    user ? ["runuser", ["-u", user.name, "--", path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const ctlArgs = (...args: string[]) => ["-D", data, "-l", log, "-w", "-t", "30", ...args];
  // Asynchronous, so the service under test keeps running while the server goes down and up. No
  // pipes to the child (the server pg_ctl starts outlives it): its output goes to the server log.
  const pgCtl = (...args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, full] = command("pg_ctl", ctlArgs(...args));
      const child = spawn(file, full, { stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`pg_ctl ${args[0]} failed (${code ?? signal}); see ${log}`));
      });
    });
  const runSync = (tool: string, args: string[]) => {
    const [file, full] = command(tool, args);
    execFileSync(file, full, { timeout: COMMAND_TIMEOUT_MS, stdio: ["ignore", "ignore", "pipe"] });
  };
  let removed = false;
  const stopNow = () => {
    try {
      runSync("pg_ctl", ctlArgs("stop", "-m", "immediate"));
    } catch {
      // Already stopped.
    }
  };
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off("exit", remove);
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", remove);
  try {
    runSync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    runSync("pg_ctl", ctlArgs("start", "-o", options));
  } catch (error) {
    remove();
    throw error;
  }
  return {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    restart: () => pgCtl("restart", "-m", "fast", "-o", options),
    crash: () => pgCtl("stop", "-m", "immediate"),
    start: () => pgCtl("start", "-o", options),
    remove,
  };
}
