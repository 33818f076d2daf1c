/**
 * The `postwire` command line: serve, migrate, create API keys, and build/sign/send/verify test
 * postbacks. Configuration comes from the environment, as for the service (see .env.example).
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { backupCommand } from "./backup-command.ts";
import { checkCommand } from "./check-command.ts";
import { commissionsCommand } from "./commissions-command.ts";
import { deliveriesCommand } from "./deliveries-command.ts";
import { type CliIo, isParseArgsError, processIo, UsageError } from "./io.ts";
import { postbackCommand } from "./postback-command.ts";
import { reconcileCommand } from "./reconcile-command.ts";
import { keysCommand, migrateCommand } from "./store-commands.ts";

export const USAGE = `Usage: postwire <command> [options]

Commands:
  serve [--workers N|auto]      Run the service (HTTP API, clicks, postbacks); --workers (or WORKERS):
                                N processes sharing the listener, auto = one per core (PostgreSQL only).
  migrate                       Apply database migrations and exit.
  backup <file>                 Copy the SQLite database to a new file, online and consistent.
  keys create --role R [--name N] [--operator-id ID] [--affiliate-id ID] [--json]
                                Create an API key (role admin|operator|affiliate); prints it once.
  commissions recalculate --program ID --from ISO --to ISO [--apply]
                                Credit conversions received while no plan was in force (postwire commissions --help).
  deliveries list|attempts|replay ...
                                Outbound postbacks: the outbox, the attempt log, replays (postwire deliveries --help).
  reconcile upload|show|backfill ...
                                Compare an operator's own list of events with what was received, and
                                backfill the missing ones (postwire reconcile --help).
  postback build|sign|send|verify ...
                                Build, sign, send or verify a test postback (postwire postback --help).
  check --program N [--fire --secret S] [--reset]
                                A program's go-live checklist; --fire sends the whole test set first
                                (postwire check --help).

Configuration: environment variables (see .env.example), e.g. DATABASE_URL, PORT, HOST.
Exit codes: 0 success, 1 failure, 2 usage or configuration error.`;

/** `serve`'s options as the environment variables they set (`--workers N` is WORKERS=N). */
function serveOptions(argv: readonly string[]): NodeJS.ProcessEnv {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { workers: { type: "string" } },
  });
  if (positionals.length) throw new UsageError(`serve takes no arguments, got "${positionals.join(" ")}"`);
  return values.workers === undefined ? {} : { WORKERS: values.workers };
}

/**
 * Runs one command and returns its exit code. `env` defaults to the process environment; it is
 * only passed on (to loadConfig and the postback tools), never read from process.env elsewhere.
 */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: CliIo = processIo,
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve": {
        const config = loadConfig({ ...env, ...serveOptions(rest) });
        // Loaded lazily: the composition root (and Fastify) only for the command that needs it.
        const { serve } = await import("../main.ts");
        await serve(config);
        return 0;
      }
      case "migrate":
        return await migrateCommand(rest, env, io);
      case "backup":
        return await backupCommand(rest, env, io);
      case "keys":
        return await keysCommand(rest, env, io);
      case "postback":
        return await postbackCommand(rest, env, io);
      case "commissions":
        return await commissionsCommand(rest, env, io);
      case "deliveries":
        return await deliveriesCommand(rest, env, io);
      case "check":
        return await checkCommand(rest, env, io);
      case "reconcile":
        return await reconcileCommand(rest, env, io);
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return 0;
      case undefined:
        io.err(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 2;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`postwire${command ? ` ${command}` : ""}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`postwire: ${(error as Error).message}`);
    return 1;
  }
}
