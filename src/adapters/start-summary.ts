/**
 * What `postwire serve` tells whoever started it: where it listens, which database it uses, the
 * public URL its links carry, whether an admin API key exists (and how to make the first one), and
 * what to fix before exposing it. Decided by a pure function (`startSummary`) from the facts
 * gathered at start (`startFacts`); printed as one JSON log line and, at a terminal, as a block.
 */
import path from "node:path";
import type { Store } from "../app/ports.ts";

/** The settings the summary reports (a subset of the service's Config). */
export interface StartSettings {
  readonly host: string;
  /** PORT as configured (0: any free port). */
  readonly port: number;
  readonly databaseUrl: string;
  readonly publicUrl: string;
  readonly metricsToken: string | undefined;
}

/** What the summary is decided from. */
export interface StartFacts {
  /** HOST as configured, and the port actually bound (PORT=0 picks one). */
  readonly host: string;
  readonly port: number;
  readonly engine: Store["engine"];
  readonly databaseUrl: string;
  /** The working directory a relative SQLite path is resolved against. */
  readonly cwd: string;
  readonly publicUrl: string;
  /** PUBLIC_URL was not set: the default http://localhost:PORT is in use. */
  readonly publicUrlDefault: boolean;
  /** Admin API keys that are not revoked; null when the database did not answer the question. */
  readonly adminKeys: number | null;
  /** The listener of GET /metrics when it has its own (METRICS_PORT); undefined: the service's. */
  readonly metricsUrl: string | undefined;
  /** GET /metrics needs METRICS_TOKEN. */
  readonly metricsToken: boolean;
}

/** The fields of the start log line (`postwire listening`). */
export interface StartFields {
  /** host:port as bound; `allInterfaces` when HOST is 0.0.0.0 or ::. */
  readonly listen: string;
  readonly allInterfaces: boolean;
  readonly engine: Store["engine"];
  /** The SQLite file (absolute), or PostgreSQL's user@host:port/database: never a password. */
  readonly database: string;
  readonly publicUrl: string;
  readonly publicUrlDefault: boolean;
  /** Whether an admin API key exists; null: unknown (the database did not answer). */
  readonly adminKey: boolean | null;
  /** Where GET /metrics answers, and whether it needs METRICS_TOKEN. */
  readonly metrics: string;
  readonly metricsToken: boolean;
  /** Things to do: each one sentence, with the command where there is one. */
  readonly todo: readonly string[];
  /** Settings that are likely wrong for how the service is exposed. */
  readonly warnings: readonly string[];
  /** What to know about how it is exposed (plain HTTP). */
  readonly notes: readonly string[];
}

export interface StartSummary {
  readonly fields: StartFields;
  /** The same for a person at a terminal: a few aligned lines. */
  readonly text: string;
}

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "[::]", "::0"]);
/** Loopback host names and addresses (a URL's hostname keeps IPv6 brackets; HOST does not). */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;

const ADMIN_KEY_SHOWN = {
  true: "yes",
  false: "none yet (see below)",
  null: "unknown (database not answering)",
};

export const CREATE_ADMIN_KEY = [
  'BOOTSTRAP_ADMIN_KEY="pw_$(openssl rand -hex 24)" npm start',
  "npx postwire keys create --role admin",
] as const;

/** The database as shown: the SQLite file, or PostgreSQL's address without credentials. */
export function databaseLabel(databaseUrl: string, cwd: string): string {
  if (databaseUrl.startsWith("sqlite:")) {
    const file = databaseUrl.slice("sqlite:".length);
    return file === ":memory:" ? file : path.resolve(cwd, file);
  }
  try {
    const url = new URL(databaseUrl);
    // libpq's ?host=/run/postgresql (a Unix socket) wins over the URL's host part.
    const host = url.searchParams.get("host") || url.hostname || "localhost";
    const port = url.port || "5432";
    const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
    return `${user}${host}:${port}${decodeURIComponent(url.pathname) || "/"}`;
  } catch {
    return "PostgreSQL (address not shown: not a parseable URL)";
  }
}

export function startSummary(facts: StartFacts): StartSummary {
  const allInterfaces = ALL_INTERFACES.has(facts.host);
  const listenHost = facts.host.includes(":") && !facts.host.startsWith("[") ? `[${facts.host}]` : facts.host;
  const publicHost = new URL(facts.publicUrl).hostname;
  const todo: string[] = [];
  const warnings: string[] = [];
  if (facts.adminKeys === 0) {
    todo.push(
      `No admin API key yet. Create the first one with \`${CREATE_ADMIN_KEY[0]}\` or \`${CREATE_ADMIN_KEY[1]}\`.`,
    );
  }
  // Reachable from elsewhere, yet the links it gives out send clients to their own machine.
  if (LOOPBACK.test(publicHost) && !LOOPBACK.test(facts.host)) {
    const where = allInterfaces ? "all interfaces" : facts.host;
    warnings.push(
      `PUBLIC_URL is ${facts.publicUrl} while listening on ${where}: tracking links and postback ` +
        "URLs given out point at localhost. Set PUBLIC_URL to the address clients use.",
    );
  }
  // Reachable from elsewhere without a token: anyone who reaches the port reads the counters.
  const metricsHost = facts.metricsUrl === undefined ? facts.host : new URL(facts.metricsUrl).hostname;
  if (!facts.metricsToken && !LOOPBACK.test(metricsHost)) {
    warnings.push(
      "GET /metrics answers anyone who can reach it. Set METRICS_TOKEN, or METRICS_PORT to serve it " +
        "on a listener of its own (METRICS_HOST, default 127.0.0.1).",
    );
  }
  const fields: StartFields = {
    listen: `${listenHost}:${facts.port}`,
    allInterfaces,
    engine: facts.engine,
    database: databaseLabel(facts.databaseUrl, facts.cwd),
    publicUrl: facts.publicUrl,
    publicUrlDefault: facts.publicUrlDefault,
    adminKey: facts.adminKeys === null ? null : facts.adminKeys > 0,
    metrics:
      facts.metricsUrl === undefined
        ? `http://${listenHost}:${facts.port}/metrics`
        : `${facts.metricsUrl}/metrics`,
    metricsToken: facts.metricsToken,
    todo,
    warnings,
    notes: [
      facts.publicUrl.startsWith("https://")
        ? "The admin API is plain HTTP here; PUBLIC_URL is https, so a TLS proxy is expected in front."
        : "The admin API is plain HTTP: API keys cross the network in clear text. Put a TLS proxy in " +
          "front before exposing it and set PUBLIC_URL to its https:// address (docs/operations.md).",
    ],
  };
  return { fields, text: summaryText(fields) };
}

function summaryText(fields: StartFields): string {
  const engine = fields.engine === "sqlite" ? "SQLite" : "PostgreSQL";
  const rows: Array<[string, string]> = [
    ["Listening on", `http://${fields.listen}${fields.allInterfaces ? " (all interfaces)" : ""}`],
    ["Database", `${engine}, ${fields.database}`],
    [
      "Public URL",
      `${fields.publicUrl}${fields.publicUrlDefault ? " (default)" : ""}, used in tracking links`,
    ],
    ["Admin API key", ADMIN_KEY_SHOWN[String(fields.adminKey) as keyof typeof ADMIN_KEY_SHOWN]],
    ["Metrics", `${fields.metrics}${fields.metricsToken ? " (token required)" : ""}`],
  ];
  const lines = ["", "Postwire is running.", ...rows.map(([name, value]) => `  ${name.padEnd(16)}${value}`)];
  if (fields.adminKey === false) {
    lines.push("", "Create the first admin API key, either way:", ...CREATE_ADMIN_KEY.map((c) => `  ${c}`));
  }
  for (const warning of fields.warnings) lines.push("", `Warning: ${warning}`);
  for (const note of fields.notes) lines.push("", `Note: ${note}`);
  return `${lines.join("\n")}\n\n`;
}

/** Gathers the facts at start: the settings, what the service bound, the admin keys in the store. */
export async function startFacts(
  config: StartSettings,
  listening: { readonly store: Store; readonly port: number; readonly metricsUrl: string | undefined },
  cwd: string,
): Promise<StartFacts> {
  const { store, port, metricsUrl } = listening;
  return {
    host: config.host,
    port,
    engine: store.engine,
    databaseUrl: config.databaseUrl,
    cwd,
    publicUrl: config.publicUrl,
    publicUrlDefault: config.publicUrl === `http://localhost:${config.port}`,
    adminKeys: await adminKeyCount(store),
    metricsUrl,
    metricsToken: config.metricsToken !== undefined,
  };
}

/** Admin keys not revoked, or null if the database fails now: the summary must not stop a start. */
async function adminKeyCount(store: Store): Promise<number | null> {
  try {
    let count = 0;
    for (let after = 0; ; ) {
      const page = await store.apiKeys.list({ after, limit: 500 });
      count += page.filter((key) => key.role === "admin" && key.revokedAt === null).length;
      if (page.length < 500) return count;
      after = page.at(-1)!.id;
    }
  } catch {
    return null;
  }
}
