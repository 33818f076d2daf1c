/**
 * The `postwire` command line: serve, migrate, create API keys, and build/sign/send test postbacks.
 * Configuration comes from the environment, as for the service.
 */
import { parseArgs } from "node:util";
import { openStore } from "../adapters/storage/open-store.ts";
import { createIds, systemClock } from "../adapters/system.ts";
import { createApiKey } from "../app/api-keys.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { ROLES, type Role } from "../domain/model.ts";
import { postbackCommand } from "./postback-command.ts";

const USAGE = `Usage: postwire <command> [options]

Commands:
  serve                         Run the service (HTTP API, clicks, postbacks).
  migrate                       Apply database migrations and exit.
  keys create --role R [--name N] [--operator-id ID] [--affiliate-id ID]
                                Create an API key (role admin|operator|affiliate); prints it once.
  postback build|sign|send ...  Build, sign and send a test postback (postwire postback --help).

Configuration: environment variables (see .env.example), e.g. DATABASE_URL, PORT, HOST.`;

export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve": {
        const { serve } = await import("../main.ts");
        await serve(loadConfig(env));
        return 0;
      }
      case "migrate":
        return await migrate(env);
      case "keys":
        return await keys(rest, env);
      case "postback":
        return await postbackCommand(rest, env);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    console.error(`postwire: ${(error as Error).message}`);
    return 1;
  }
}

async function migrate(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl);
  try {
    const applied = await store.migrate();
    console.log(applied.length ? `Applied migrations: ${applied.join(", ")}` : "Database is up to date.");
    return 0;
  } finally {
    await store.close();
  }
}

async function keys(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      role: { type: "string" },
      name: { type: "string" },
      "operator-id": { type: "string" },
      "affiliate-id": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals[0] !== "create") {
    console.error(
      "Usage: postwire keys create --role admin|operator|affiliate [--name N] [--operator-id ID] [--affiliate-id ID] [--json]",
    );
    return 2;
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) {
    console.error(`--role must be one of ${ROLES.join(", ")}`);
    return 2;
  }
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl);
  try {
    await store.migrate();
    const created = await createApiKey(store, systemClock, createIds(), {
      name: values.name ?? `${role} key`,
      role,
      operatorId: values["operator-id"] ? Number(values["operator-id"]) : null,
      affiliateId: values["affiliate-id"] ? Number(values["affiliate-id"]) : null,
    });
    if (!created.ok) {
      console.error(created.error.message);
      return 2;
    }
    if (values.json) {
      console.log(JSON.stringify({ id: created.value.apiKey.id, role, key: created.value.secret }));
    } else {
      console.error(`Created ${role} key #${created.value.apiKey.id}. It is shown once; store it now:`);
      console.log(created.value.secret);
    }
    return 0;
  } finally {
    await store.close();
  }
}
