/** `postwire migrate` and `postwire keys create`: commands that work on the database directly. */
import { parseArgs } from "node:util";
import { createIds, systemClock } from "../adapters/clock-and-ids.ts";
import { openStore } from "../adapters/storage/open-store.ts";
import { createApiKey } from "../app/access/api-keys.ts";
import { loadConfig } from "../config.ts";
import { ROLES, type Role } from "../domain/model.ts";
import { type CliIo, positiveIntOption, UsageError } from "./io.ts";
import type { Env } from "./signing-options.ts";

const KEYS_USAGE =
  "Usage: postwire keys create --role admin|operator|affiliate [--name N] [--operator-id ID] [--affiliate-id ID] [--json]";

/** Applies pending migrations; prints the versions applied, then that the schema is up to date. */
export async function migrateCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  if (argv.length) throw new UsageError(`migrate takes no arguments, got "${argv.join(" ")}"`);
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    postgresPoolSize: config.postgresPoolSize,
  });
  try {
    const applied = await store.migrate();
    const versions = applied.map((v) => String(v).padStart(3, "0"));
    if (applied.length) io.out(`Applied migrations: ${versions.join(", ")}`);
    io.out(`Database is up to date (${store.engine}).`);
    return 0;
  } finally {
    await store.close();
  }
}

const idOption = (name: string, text: string | undefined): number | null =>
  positiveIntOption(name, text) ?? null;

/** Creates an API key (migrating first, so it works on a fresh database) and prints it once. */
export async function keysCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      role: { type: "string" },
      name: { type: "string" },
      "operator-id": { type: "string" },
      "affiliate-id": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(KEYS_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "create") {
    throw new UsageError(`expected "keys create"\n${KEYS_USAGE}`);
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  const operatorId = idOption("operator-id", values["operator-id"]);
  const affiliateId = idOption("affiliate-id", values["affiliate-id"]);
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    postgresPoolSize: config.postgresPoolSize,
  });
  try {
    await store.migrate();
    const created = await createApiKey(store, systemClock, createIds(), {
      name: values.name ?? `${role} key`,
      role,
      operatorId,
      affiliateId,
    });
    if (!created.ok) throw new UsageError(created.error.message);
    const { apiKey, secret } = created.value;
    if (values.json) {
      io.out(
        JSON.stringify({
          id: apiKey.id,
          name: apiKey.name,
          role,
          operator_id: apiKey.operatorId,
          affiliate_id: apiKey.affiliateId,
          key: secret,
        }),
      );
    } else {
      io.err(`Created ${role} key #${apiKey.id}. It is shown once; store it now:`);
      io.out(secret);
    }
    return 0;
  } finally {
    await store.close();
  }
}
