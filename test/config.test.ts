/** loadConfig: documented defaults, every invalid variable reported at once, DATABASE_URL forms. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { batchingFor } from "../src/composition/use-cases.ts";
import { ConfigError, loadConfig } from "../src/config.ts";

/** The problems loadConfig reports for `env` (fails the test if it does not throw ConfigError). */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  test("an empty environment gives the documented defaults", () => {
    assert.deepEqual(loadConfig({}), {
      databaseUrl: "sqlite:./data/postwire.db",
      host: "0.0.0.0",
      port: 8080,
      publicUrl: "http://localhost:8080",
      logLevel: "info",
      clickIdSecret: undefined,
      ipPrivacy: "truncate",
      trustedProxies: [],
      bodyLimitBytes: 65_536,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      requestLogRetentionDays: 30,
      clickRetentionDays: 90,
      deliveryRetentionDays: 30,
      pruneIntervalMs: 3_600_000,
      sqliteSynchronous: "FULL",
      sqliteCheckpointIntervalMs: 200,
      postgresPoolSize: 10,
      postgresQueryTimeoutMs: 10_000,
      batchConcurrency: 2,
      batchMax: 512,
      maxPending: 20_000,
      batchIntervalMs: 2,
      shutdownDrainDelayMs: 0,
      shutdownTimeoutMs: 10_000,
      bootstrapAdminKey: undefined,
      deliveryConcurrency: 32,
      deliveryPerEndpoint: 4,
      deliveryPerEndpointMax: 32,
      deliveryAllow: [],
      deliveryTimeoutMs: 10_000,
      deliveryLeaseMs: 300_000,
      dispatchIntervalMs: 1000,
      endpointFailureThreshold: 100,
      metricsPort: undefined,
      metricsHost: "127.0.0.1",
      metricsToken: undefined,
      workers: 1,
      alertIntervalMs: 60_000,
      alertSilenceMinMs: 30 * 60_000,
      alertRejectionRate: 0.25,
      alertUnattributedJump: 0.2,
      alertWindowMs: 60 * 60_000,
      alertMinCount: 20,
      alertEndpointFailingMs: 30 * 60_000,
    });
  });

  test("WORKERS: a number or auto on PostgreSQL; refused on SQLite with the reason", () => {
    const pg = "postgres://db/postwire";
    assert.equal(loadConfig({ DATABASE_URL: pg, WORKERS: "4" }).workers, 4);
    assert.equal(loadConfig({ DATABASE_URL: pg, WORKERS: "auto" }).workers, "auto");
    assert.equal(loadConfig({ WORKERS: "1" }).workers, 1, "one process is SQLite's own way");
    for (const workers of ["2", "auto"]) {
      const [problem, ...more] = problemsOf({ DATABASE_URL: "sqlite:/tmp/x.db", WORKERS: workers });
      assert.deepEqual(more, []);
      assert.match(problem!, new RegExp(`^WORKERS=${workers} needs PostgreSQL .*SQLite has one writer`));
    }
    assert.deepEqual(problemsOf({ DATABASE_URL: pg, WORKERS: "0" }), [
      'WORKERS must be an integer from 1 to 256, got "0"',
    ]);
    assert.equal(problemsOf({ DATABASE_URL: pg, WORKERS: "many" }).length, 1);
  });

  test("group commits are paced by 2 ms on SQLite and not at all on PostgreSQL, unless set", () => {
    assert.equal(loadConfig({ DATABASE_URL: "sqlite:/tmp/x.db" }).batchIntervalMs, 2);
    assert.equal(loadConfig({ DATABASE_URL: "postgres://db/postwire" }).batchIntervalMs, 0);
    assert.equal(
      loadConfig({ DATABASE_URL: "postgres://db/postwire", BATCH_INTERVAL_MS: "3" }).batchIntervalMs,
      3,
    );
    assert.equal(loadConfig({ BATCH_INTERVAL_MS: "0" }).batchIntervalMs, 0);
  });

  test("PostgreSQL group commits in flight: 2 by default (fewer with a smaller pool), never more than the pool has connections", () => {
    assert.equal(loadConfig({ DATABASE_URL: "postgres://db/postwire" }).batchConcurrency, 2);
    assert.equal(loadConfig({ BATCH_CONCURRENCY: "4", PG_POOL_SIZE: "4" }).batchConcurrency, 4);
    assert.deepEqual(problemsOf({ BATCH_CONCURRENCY: "5", PG_POOL_SIZE: "4" }), [
      'BATCH_CONCURRENCY must not exceed PG_POOL_SIZE (4), got "5"',
    ]);
    assert.equal(loadConfig({ BATCH_CONCURRENCY: "3" }).batchConcurrency, 3);
    assert.equal(loadConfig({ PG_POOL_SIZE: "1" }).batchConcurrency, 1);
    // What the group committer gets: SQLite has one writer whatever the setting.
    const config = loadConfig({ BATCH_CONCURRENCY: "3" });
    assert.equal(batchingFor(config, "postgres").concurrency, 3);
    assert.equal(batchingFor(config, "sqlite").concurrency, 1);
  });

  test("an endpoint's deliveries in flight grow from DELIVERY_PER_ENDPOINT up to its maximum, never below", () => {
    assert.equal(loadConfig({}).deliveryPerEndpointMax, 32);
    assert.equal(loadConfig({ DELIVERY_PER_ENDPOINT: "50" }).deliveryPerEndpointMax, 50);
    assert.equal(loadConfig({ DELIVERY_PER_ENDPOINT_MAX: "8" }).deliveryPerEndpointMax, 8);
    assert.deepEqual(problemsOf({ DELIVERY_PER_ENDPOINT: "8", DELIVERY_PER_ENDPOINT_MAX: "4" }), [
      'DELIVERY_PER_ENDPOINT_MAX must be at least DELIVERY_PER_ENDPOINT (8), got "4"',
    ]);
  });

  test("empty and blank values count as unset; values are trimmed", () => {
    const config = loadConfig({ PORT: "", HOST: "  ", LOG_LEVEL: " debug ", CLICK_ID_SECRET: " " });
    assert.equal(config.port, 8080);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.logLevel, "debug");
    assert.equal(config.clickIdSecret, undefined);
  });

  test("valid values are taken; PUBLIC_URL follows PORT and loses trailing slashes", () => {
    assert.equal(loadConfig({ PORT: "9000" }).publicUrl, "http://localhost:9000");
    const config = loadConfig({
      PORT: "0",
      PUBLIC_URL: "https://track.example.com/pw//",
      TRUSTED_PROXIES: "10.0.0.0/8, 2001:db8::/32,,",
      IP_PRIVACY: "hash",
      SQLITE_SYNCHRONOUS: "NORMAL",
      CLICK_ID_SECRET: "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
      BOOTSTRAP_ADMIN_KEY: `pw_${"a".repeat(32)}`,
      SHUTDOWN_TIMEOUT_MS: "0",
      SHUTDOWN_DRAIN_DELAY_MS: "5000",
    });
    assert.equal(config.port, 0);
    assert.equal(config.publicUrl, "https://track.example.com/pw");
    assert.deepEqual(config.trustedProxies, ["10.0.0.0/8", "2001:db8::/32"]);
    assert.equal(config.ipPrivacy, "hash");
    assert.equal(config.sqliteSynchronous, "NORMAL");
    assert.equal(config.bootstrapAdminKey, `pw_${"a".repeat(32)}`);
    assert.equal(config.shutdownTimeoutMs, 0);
    assert.equal(config.shutdownDrainDelayMs, 5000);
  });

  test("every invalid variable is reported, all at once", () => {
    const bad: Record<string, string> = {
      DATABASE_URL: "mysql://db/postwire",
      PORT: "80a",
      PUBLIC_URL: "ftp://example.com",
      LOG_LEVEL: "loud",
      CLICK_ID_SECRET: "c2hvcnQ=",
      IP_PRIVACY: "blur",
      TRUSTED_PROXIES: "10.0.0.0/33",
      BODY_LIMIT_BYTES: "10",
      HEADERS_TIMEOUT_MS: "-1",
      REQUEST_TIMEOUT_MS: "1.5",
      KEEP_ALIVE_TIMEOUT_MS: "0",
      REQUEST_LOG_RETENTION_DAYS: "0",
      CLICK_RETENTION_DAYS: "9999",
      PRUNE_INTERVAL_MS: "5",
      SQLITE_SYNCHRONOUS: "OFF",
      PG_POOL_SIZE: "0",
      BATCH_CONCURRENCY: "0",
      BATCH_MAX: "none",
      MAX_PENDING: "0",
      BATCH_INTERVAL_MS: "101",
      SHUTDOWN_TIMEOUT_MS: "forever",
      SHUTDOWN_DRAIN_DELAY_MS: "600001",
      BOOTSTRAP_ADMIN_KEY: "admin",
      METRICS_PORT: "99999",
      METRICS_TOKEN: "too short",
    };
    const problems = problemsOf(bad);
    for (const name of Object.keys(bad)) {
      assert.ok(
        problems.some((p) => p.startsWith(name) || p.includes(`${name} `)),
        `${name} is reported among:\n${problems.join("\n")}`,
      );
    }
    assert.equal(problems.length, Object.keys(bad).length, problems.join("\n"));
    // The message shows the bad value, so an operator sees what to fix.
    assert.ok(problems.some((p) => p.includes('"80a"')));
    const error = (() => {
      try {
        loadConfig(bad);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    assert.match(error!.message, /^Invalid configuration:\n {2}- /);
  });

  test("/metrics: on PORT by default; METRICS_PORT moves it to a listener of its own, METRICS_TOKEN guards it", () => {
    const own = loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "10.0.0.5", METRICS_TOKEN: "t".repeat(16) });
    assert.deepEqual(
      [own.metricsPort, own.metricsHost, own.metricsToken],
      [9464, "10.0.0.5", "t".repeat(16)],
    );
    assert.deepEqual(
      [loadConfig({ METRICS_PORT: "0" }).metricsPort, loadConfig({}).metricsPort],
      [0, undefined],
    );
    assert.equal(
      loadConfig({ METRICS_PORT: "9464" }).metricsHost,
      "127.0.0.1",
      "this machine only by default",
    );
    assert.deepEqual(problemsOf({ METRICS_HOST: "0.0.0.0" }), [
      "METRICS_HOST is only used with METRICS_PORT: set both, or neither",
    ]);
    assert.deepEqual(problemsOf({ PORT: "9000", METRICS_PORT: "9000" }), [
      "METRICS_PORT must differ from PORT (9000), or be unset to serve /metrics on PORT",
    ]);
    assert.equal(loadConfig({ PORT: "0", METRICS_PORT: "0" }).metricsPort, 0, "two free ports");
    assert.equal(problemsOf({ METRICS_TOKEN: `${"t".repeat(15)}` }).length, 1, "16 characters at least");
    assert.equal(problemsOf({ METRICS_TOKEN: `${"t".repeat(16)} x` }).length, 1, "no spaces");
  });

  test("integers at their bounds are accepted, one past is not", () => {
    assert.equal(loadConfig({ PORT: "65535" }).port, 65535);
    assert.deepEqual(problemsOf({ PORT: "65536" }), ['PORT must be an integer from 0 to 65535, got "65536"']);
    assert.equal(loadConfig({ BODY_LIMIT_BYTES: "1024" }).bodyLimitBytes, 1024);
    assert.equal(problemsOf({ BODY_LIMIT_BYTES: "1023" }).length, 1);
  });

  describe("DATABASE_URL", () => {
    const accepted = [
      "sqlite:./data/postwire.db",
      "sqlite:/var/lib/postwire/postwire.db",
      "sqlite:relative.db",
      "sqlite::memory:",
      "postgres://postwire@127.0.0.1:5432/postwire",
      "postgres://user:p%40ss@db.internal/postwire?sslmode=require",
      "postgresql://localhost/postwire",
    ];
    for (const url of accepted) {
      test(`accepts ${url}`, () => assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url));
    }
    const refused = [
      "postwire.db",
      "sqlite:",
      "file:postwire.db",
      "mysql://localhost/db",
      "postgres://",
      "pg://x",
    ];
    for (const url of refused) {
      test(`refuses ${url}`, () => {
        const problems = problemsOf({ DATABASE_URL: url });
        assert.equal(problems.length, 1);
        assert.match(problems[0]!, /^DATABASE_URL must be sqlite:<path> or postgres:\/\/…, got /);
      });
    }
  });
});
