/**
 * Configuration from environment variables only (12-factor), validated at start with every error
 * reported at once. The only module that reads process.env; documented in .env.example.
 */
import { parseEgressAllowlist } from "./domain/egress.ts";
import { IP_PRIVACY_MODES, type IpPrivacyMode, parseCidrList } from "./domain/ip.ts";
import { decodeSecret } from "./domain/signing.ts";

export interface Config {
  /** `sqlite:<path>` (default `sqlite:./data/postwire.db`) or `postgres://…`. */
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  /** Base URL clients use to reach this service (tracking links, postback templates). */
  readonly publicUrl: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Secret for click-id MACs ('whsec_…' or base64, ≥ 16 bytes); generated and stored when unset. */
  readonly clickIdSecret: string | undefined;
  /** How click IPs are stored: truncate (default), hash, full or none. */
  readonly ipPrivacy: IpPrivacyMode;
  /** Proxies whose X-Forwarded-For is believed for clicks. */
  readonly trustedProxies: readonly string[];
  readonly bodyLimitBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly requestLogRetentionDays: number;
  readonly clickRetentionDays: number;
  /** Days the delivery attempt log and delivered deliveries are kept (at least 8: see docs/outbound.md). */
  readonly deliveryRetentionDays: number;
  readonly pruneIntervalMs: number;
  readonly sqliteSynchronous: "FULL" | "NORMAL";
  /** WAL checkpoints in a background thread this often (ms); 0: inside commits, SQLite's default. */
  readonly sqliteCheckpointIntervalMs: number;
  readonly postgresPoolSize: number;
  /** PostgreSQL: deadline of one statement (ms); past it the statement fails (503) and its connection is replaced. */
  readonly postgresQueryTimeoutMs: number;
  /** PostgreSQL: group commits in flight at once, each on its own pool connection (SQLite: 1). */
  readonly batchConcurrency: number;
  readonly batchMax: number;
  readonly maxPending: number;
  /** A group commit starts no sooner than this many ms after the previous one (group-commit.ts). */
  readonly batchIntervalMs: number;
  /** On SIGTERM/SIGINT, how long /readyz reports `draining` while requests are still served (ms). */
  readonly shutdownDrainDelayMs: number;
  /** Then how long stopping and draining may take before the process exits anyway (ms). */
  readonly shutdownTimeoutMs: number;
  /** When set and no API key exists yet, an admin key with exactly this value is created at start. */
  readonly bootstrapAdminKey: string | undefined;
  /** Outbound postbacks in flight at once in this process. */
  readonly deliveryConcurrency: number;
  /**
   * Per endpoint: the starting (and lowest) number in flight, and the highest it grows to while
   * the endpoint keeps up (adapters/delivery/endpoint-lanes.ts).
   */
  readonly deliveryPerEndpoint: number;
  readonly deliveryPerEndpointMax: number;
  /** Egress allowlist (IPs, CIDRs, host names) exempt from the SSRF guard: tests, on-prem receivers. */
  readonly deliveryAllow: readonly string[];
  /** Whole-attempt deadline of an outbound postback (ms). */
  readonly deliveryTimeoutMs: number;
  /** A claimed delivery not finished after this (its process died) is sent again (ms). */
  readonly deliveryLeaseMs: number;
  /** How often the dispatcher looks for due deliveries (ms). */
  readonly dispatchIntervalMs: number;
  /** Consecutive failed attempts after which an endpoint is disabled (0 = never). */
  readonly endpointFailureThreshold: number;
  /**
   * GET /metrics on a listener of its own at metricsHost:metricsPort (0: a free port), and not on
   * the service's port; undefined: on the service's port.
   */
  readonly metricsPort: number | undefined;
  /** Address of that listener (default 127.0.0.1: this machine only). */
  readonly metricsHost: string;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (at least 16 visible characters). */
  readonly metricsToken: string | undefined;
  /** Processes serving on one host (`auto`: one per core); more than 1 needs PostgreSQL. */
  readonly workers: number | "auto";
  /** How often the alert rules are evaluated and notifications sent (ms); 0: alerts off (docs/alerts.md). */
  readonly alertIntervalMs: number;
  /** An operator's silence alerts no sooner than this (ms), however busy its usual hours. */
  readonly alertSilenceMinMs: number;
  /** Rejected share of an operator's postbacks over the window that alerts (0–1). */
  readonly alertRejectionRate: number;
  /** Unattributed share this far above its 7-day baseline (and twice it) alerts (0–1). */
  readonly alertUnattributedJump: number;
  /** The rate rules' window (ms; counted in whole hours, the current one included). */
  readonly alertWindowMs: number;
  /** Postbacks a window needs before a rate rule judges it. */
  readonly alertMinCount: number;
  /** An endpoint whose attempts all failed for this long alerts (ms). */
  readonly alertEndpointFailingMs: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? fallback : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = text(name, fallback);
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  };

  const databaseUrl = text("DATABASE_URL", "sqlite:./data/postwire.db");
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be sqlite:<path> or postgres://…, got "${databaseUrl}"`);
  }
  const port = int("PORT", 8080, 0, 65535);
  const host = text("HOST", "0.0.0.0");
  const publicUrl = text("PUBLIC_URL", `http://localhost:${port}`).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicUrl))
    problems.push(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  const trustedProxies = text("TRUSTED_PROXIES", "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const proxies = parseCidrList(trustedProxies, "TRUSTED_PROXIES");
  if (!proxies.ok) problems.push(proxies.error.message);
  const clickIdSecret = env["CLICK_ID_SECRET"]?.trim() || undefined;
  if (clickIdSecret !== undefined) {
    const decoded = decodeSecret(clickIdSecret);
    if (!decoded.ok || decoded.value.length < 16) {
      problems.push("CLICK_ID_SECRET must be base64 (optionally 'whsec_'-prefixed) of at least 16 bytes");
    }
  }
  const bootstrapAdminKey = env["BOOTSTRAP_ADMIN_KEY"]?.trim() || undefined;
  if (bootstrapAdminKey !== undefined && !/^pw_[A-Za-z0-9_-]{32,}$/.test(bootstrapAdminKey)) {
    problems.push("BOOTSTRAP_ADMIN_KEY must look like pw_ followed by at least 32 URL-safe characters");
  }

  const deliveryAllow = text("DELIVERY_ALLOW", "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const allow = parseEgressAllowlist(deliveryAllow, "DELIVERY_ALLOW");
  if (!allow.ok) problems.push(allow.error.message);

  const postgresPoolSize = int("PG_POOL_SIZE", 10, 1, 200);
  // Unset: 2, or fewer with a smaller pool.
  const deliveryPerEndpoint = int("DELIVERY_PER_ENDPOINT", 4, 1, 100);
  const deliveryPerEndpointMax = int("DELIVERY_PER_ENDPOINT_MAX", Math.max(32, deliveryPerEndpoint), 1, 1000);
  if (deliveryPerEndpointMax < deliveryPerEndpoint) {
    problems.push(
      `DELIVERY_PER_ENDPOINT_MAX must be at least DELIVERY_PER_ENDPOINT (${deliveryPerEndpoint}), got "${deliveryPerEndpointMax}"`,
    );
  }
  const batchConcurrency = int("BATCH_CONCURRENCY", Math.min(2, postgresPoolSize), 1, 200);
  if (batchConcurrency > postgresPoolSize) {
    problems.push(
      `BATCH_CONCURRENCY must not exceed PG_POOL_SIZE (${postgresPoolSize}), got "${batchConcurrency}"`,
    );
  }

  const metricsPortText = text("METRICS_PORT", "");
  const metricsPort = metricsPortText === "" ? undefined : int("METRICS_PORT", 0, 0, 65535);
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    problems.push(`METRICS_PORT must differ from PORT (${port}), or be unset to serve /metrics on PORT`);
  }
  const metricsHost = text("METRICS_HOST", "127.0.0.1");
  if (metricsPort === undefined && text("METRICS_HOST", "") !== "") {
    problems.push("METRICS_HOST is only used with METRICS_PORT: set both, or neither");
  }
  const metricsToken = env["METRICS_TOKEN"]?.trim() || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
    problems.push("METRICS_TOKEN must be at least 16 visible ASCII characters (no spaces)");
  }
  const workersText = text("WORKERS", "1");
  const workers: number | "auto" = workersText === "auto" ? "auto" : int("WORKERS", 1, 1, 256);
  if (workers !== 1 && databaseUrl.startsWith("sqlite:")) {
    problems.push(
      `WORKERS=${workersText} needs PostgreSQL (DATABASE_URL=postgres://…): SQLite has one writer, so serve a SQLite database from one process`,
    );
  }

  const config: Config = {
    databaseUrl,
    host,
    port,
    publicUrl,
    logLevel: oneOf(
      "LOG_LEVEL",
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const,
      "info",
    ),
    clickIdSecret,
    ipPrivacy: oneOf("IP_PRIVACY", IP_PRIVACY_MODES, "truncate"),
    trustedProxies,
    bodyLimitBytes: int("BODY_LIMIT_BYTES", 65_536, 1024, 10_485_760),
    headersTimeoutMs: int("HEADERS_TIMEOUT_MS", 10_000, 100, 600_000),
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    keepAliveTimeoutMs: int("KEEP_ALIVE_TIMEOUT_MS", 5_000, 100, 600_000),
    requestLogRetentionDays: int("REQUEST_LOG_RETENTION_DAYS", 30, 1, 3650),
    clickRetentionDays: int("CLICK_RETENTION_DAYS", 90, 1, 3650),
    deliveryRetentionDays: int("DELIVERY_RETENTION_DAYS", 30, 8, 3650),
    pruneIntervalMs: int("PRUNE_INTERVAL_MS", 3_600_000, 1000, 86_400_000),
    sqliteSynchronous: oneOf("SQLITE_SYNCHRONOUS", ["FULL", "NORMAL"] as const, "FULL"),
    sqliteCheckpointIntervalMs: int("SQLITE_CHECKPOINT_INTERVAL_MS", 200, 0, 60_000),
    postgresPoolSize,
    postgresQueryTimeoutMs: int("PG_QUERY_TIMEOUT_MS", 10_000, 100, 600_000),
    batchConcurrency,
    batchMax: int("BATCH_MAX", 512, 1, 10_000),
    maxPending: int("MAX_PENDING", 20_000, 1, 1_000_000),
    // SQLite pays its fsync and WAL page writes per commit on the event loop: fewer, larger commits
    // under load leave more CPU for requests (bench/README.md). PostgreSQL groups commits itself.
    batchIntervalMs: int("BATCH_INTERVAL_MS", databaseUrl.startsWith("sqlite:") ? 2 : 0, 0, 100),
    shutdownDrainDelayMs: int("SHUTDOWN_DRAIN_DELAY_MS", 0, 0, 600_000),
    shutdownTimeoutMs: int("SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    bootstrapAdminKey,
    deliveryConcurrency: int("DELIVERY_CONCURRENCY", 32, 1, 1000),
    deliveryPerEndpoint,
    deliveryPerEndpointMax,
    deliveryAllow,
    deliveryTimeoutMs: int("DELIVERY_TIMEOUT_MS", 10_000, 100, 120_000),
    deliveryLeaseMs: int("DELIVERY_LEASE_MS", 300_000, 1000, 86_400_000),
    dispatchIntervalMs: int("DISPATCH_INTERVAL_MS", 1000, 10, 600_000),
    endpointFailureThreshold: int("ENDPOINT_FAILURE_THRESHOLD", 100, 0, 1_000_000),
    metricsPort,
    metricsHost,
    metricsToken,
    workers,
    alertIntervalMs: int("ALERT_INTERVAL_MS", 60_000, 0, 86_400_000),
    alertSilenceMinMs: int("ALERT_SILENCE_MIN_MINUTES", 30, 10, 10_080) * 60_000,
    alertRejectionRate: int("ALERT_REJECTION_PERCENT", 25, 1, 100) / 100,
    alertUnattributedJump: int("ALERT_UNATTRIBUTED_JUMP_PERCENT", 20, 1, 100) / 100,
    alertWindowMs: int("ALERT_WINDOW_MINUTES", 60, 1, 1440) * 60_000,
    alertMinCount: int("ALERT_MIN_COUNT", 20, 1, 1_000_000),
    alertEndpointFailingMs: int("ALERT_ENDPOINT_FAILING_MINUTES", 30, 1, 10_080) * 60_000,
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
