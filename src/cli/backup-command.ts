/** `postwire backup <file>`: an online, consistent copy of the SQLite database of DATABASE_URL. */
import { parseArgs } from "node:util";
import { backupSqlite } from "../adapters/storage/sqlite/backup.ts";
import { loadConfig } from "../config.ts";
import { type CliIo, UsageError } from "./io.ts";
import type { Env } from "./signing-options.ts";

const BACKUP_USAGE = "Usage: postwire backup <file>   (a new file; the SQLite database of DATABASE_URL)";

export async function backupCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    io.out(BACKUP_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one target file\n${BACKUP_USAGE}`);
  const { databaseUrl } = loadConfig(env);
  if (!databaseUrl.startsWith("sqlite:")) {
    throw new UsageError(
      "backup copies an SQLite database; for PostgreSQL use pg_dump or base backups (docs/operations.md#backups)",
    );
  }
  const copy = await backupSqlite(databaseUrl.slice("sqlite:".length), positionals[0]!);
  const mb = (copy.bytes / 1_048_576).toFixed(1);
  io.out(`Backed up ${copy.source} to ${copy.target} (${copy.pages} pages, ${mb} MB; quick_check ok).`);
  return 0;
}
