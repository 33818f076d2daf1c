/**
 * Starts one service: opens and prepares the database, wires the use cases, the outbound
 * delivery, metrics and background jobs into the HTTP server, listens; `stop()` shuts it down
 * gracefully (report draining, wait SHUTDOWN_DRAIN_DELAY_MS, stop accepting, drain in-flight
 * requests, batches and jobs, close the database).
 */
import { setTimeout as delay } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { createIds, systemClock } from "../adapters/clock-and-ids.ts";
import { createOutbound } from "../adapters/delivery/outbound-service.ts";
import { type ComparisonThreads, createComparisonThreads } from "../adapters/files/comparison-threads.ts";
import { buildServer } from "../adapters/http/build-server.ts";
import { listenMetrics, type MetricsListener } from "../adapters/http/metrics.ts";
import { createClockSkewMonitor } from "../adapters/metrics/clock-skew.ts";
import { registerInboundMetrics } from "../adapters/metrics/inbound-metrics.ts";
import { createServiceMetrics } from "../adapters/metrics/registry.ts";
import { openStore } from "../adapters/storage/open-store.ts";
import type { SqlDriver } from "../adapters/storage/sql-driver.ts";
import { releaseStartupHeap, tuneRuntime } from "../adapters/v8-tuning.ts";
import { Catalog } from "../app/catalog.ts";
import { createClickRecorder } from "../app/clicks/record-click.ts";
import type { Clock, Store } from "../app/ports.ts";
import type { Config } from "../config.ts";
import { parseCidrList } from "../domain/ip.ts";
import { startBackgroundJobs } from "./background-jobs.ts";
import { prepareStore } from "./prepare-database.ts";
import { batchingFor, createIngestor } from "./use-cases.ts";

export interface Service {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The listener of GET /metrics when it has its own (METRICS_PORT); undefined: it is on `url`. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** Test seams: where log lines go (default stdout); how shutdown waits out its drain delay. */
export interface ServiceOptions {
  readonly logStream?: { write(line: string): void };
  /** Waits `ms` (SHUTDOWN_DRAIN_DELAY_MS) before the listener closes (default: a timer). */
  readonly drainDelay?: (ms: number) => Promise<unknown>;
  /** Wraps the storage driver (benchmarks: the service without rollups, bench/without-rollups.ts). */
  readonly wrapDriver?: (driver: SqlDriver) => SqlDriver;
}

export async function startService(
  config: Config,
  clock: Clock = systemClock,
  options: ServiceOptions = {},
): Promise<Service> {
  tuneRuntime();
  const ids = createIds(clock);
  let app: FastifyInstance | undefined;
  // The SQLite checkpoint worker may fail before the server (and its logger) exists: kept till then.
  let checkpointFailure: string | undefined;
  const logCheckpointFailure = (server: FastifyInstance, reason: string) =>
    server.log.error({ reason }, "sqlite checkpoint worker failed; commits checkpoint again");
  const store = openStore(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    ...(config.sqliteCheckpointIntervalMs > 0
      ? { sqliteCheckpointIntervalMs: config.sqliteCheckpointIntervalMs }
      : {}),
    onSqliteCheckpointFailure: (reason) => {
      if (app) logCheckpointFailure(app, reason);
      else checkpointFailure = reason;
    },
    postgresPoolSize: config.postgresPoolSize,
    postgresQueryTimeoutMs: config.postgresQueryTimeoutMs,
    // The pool replaces the connection on demand; requests that were on it got 503.
    onPostgresConnectionError: (error) =>
      app?.log.warn({ reason: error.message }, "postgres connection lost; it will be replaced"),
    ...(options.wrapDriver ? { wrapDriver: options.wrapDriver } : {}),
  });
  let secrets: Awaited<ReturnType<typeof prepareStore>>;
  try {
    secrets = await prepareStore(store, config, clock, ids);
  } catch (error) {
    // The database was not ready (serve() tries again): leave nothing open behind.
    await store.close().catch(() => undefined);
    throw error;
  }
  const { clickSecret, ipSalt } = secrets;

  let draining = false;
  const catalog = new Catalog(store, clock);
  const batching = batchingFor(config, store.engine);
  const onStorageError = (error: unknown) => app?.log.error({ err: error }, "storage error");
  const metrics = createServiceMetrics();
  const inbound = registerInboundMetrics(metrics.registry);
  const delivery = createOutbound(config, store, clock, ids, metrics.registry, (error) =>
    app?.log.error({ err: error }, "outbound delivery error"),
  );
  // Signed postbacks' clock skew: a metric, and a warning when this server's clock seems wrong.
  const skew = createClockSkewMonitor({
    registry: metrics.registry,
    now: () => clock.now(),
    log: {
      warn: (fields, message) => app?.log.warn(fields, message),
      info: (fields, message) => app?.log.info(fields, message),
    },
  });
  const ingestor = createIngestor({
    store,
    catalog,
    clock,
    ids,
    clickSecret,
    batching: { ...batching, onFlush: inbound.flushed("postbacks") },
    onStorageError,
    onSignatureSkew: skew.observe,
    onAnswer: inbound.postback,
    outboundEffect: delivery.effect,
  });
  const comparisons = comparisonThreadsFor(config, clock);
  const proxies = parseCidrList(config.trustedProxies, "TRUSTED_PROXIES");
  const clicks = createClickRecorder({
    store,
    catalog,
    clock,
    ids,
    clickSecret,
    ipPrivacy: config.ipPrivacy,
    ipSalt,
    trustedProxies: proxies.ok && config.trustedProxies.length ? proxies.value : undefined,
    batching: { ...batching, onFlush: inbound.flushed("clicks") },
    onStorageError,
    onAnswer: inbound.click,
  });
  const metricsOptions = {
    render: metrics.render,
    contentType: metrics.contentType,
    token: config.metricsToken,
  };
  app = await buildServer({
    store,
    catalog,
    clock,
    ids,
    ingestor,
    clicks,
    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    logLevel: config.logLevel,
    isDraining: () => draining,
    outbound: delivery.routes,
    clickSecrets: [clickSecret],
    ...(comparisons ? { comparisons } : {}),
    // On the service's port unless METRICS_PORT gives it a listener of its own (below).
    ...(config.metricsPort === undefined ? { metrics: metricsOptions } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  if (checkpointFailure !== undefined) logCheckpointFailure(app, checkpointFailure);
  let url: string;
  let metricsListener: MetricsListener | undefined;
  try {
    url = await app.listen({ host: config.host, port: config.port });
    if (config.metricsPort !== undefined)
      metricsListener = await listenMetrics({
        ...metricsOptions,
        host: config.metricsHost,
        port: config.metricsPort,
      });
    await delivery.dispatcher.start();
  } catch (error) {
    // Port taken or host not bindable: do not leave the database open behind the error.
    await app.close();
    await metricsListener?.close();
    await store.close();
    throw error;
  }

  const log = {
    info: (fields: Record<string, unknown>, message: string) => app?.log.info(fields, message),
    error: (fields: Record<string, unknown>, message: string) => app?.log.error(fields, message),
  };
  const jobs = startBackgroundJobs(store, clock, config, log, {
    sender: delivery.sender,
    sendOptions: delivery.routes.sendOptions,
    ids,
  });
  // Started: the heap start-up grew and no longer uses is given back (idle footprint).
  releaseStartupHeap();

  const server = app;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      // /readyz already says draining; keep serving until load balancers have noticed and moved on.
      if (config.shutdownDrainDelayMs > 0) await (options.drainDelay ?? delay)(config.shutdownDrainDelayMs);
      await server.close();
      await metricsListener?.close();
      await Promise.all([
        ingestor.drain(),
        clicks.drain(),
        jobs.stop(),
        delivery.dispatcher.stop(),
        comparisons?.stop(),
      ]);
      delivery.sender.close();
      await store.close();
    })();
    return stopping;
  };
  return { app: server, store, url, metricsUrl: metricsListener?.url, stop };
}

/**
 * Reconciliation comparisons in worker threads with their own connections (comparison-threads.ts);
 * none for an in-memory SQLite database, which another connection cannot open.
 */
function comparisonThreadsFor(config: Config, clock: Clock): ComparisonThreads | undefined {
  if (config.databaseUrl === "sqlite::memory:") return undefined;
  return createComparisonThreads({
    databaseUrl: config.databaseUrl,
    driver: {
      sqliteSynchronous: config.sqliteSynchronous,
      // A few MiB of page cache: the comparison walks indexes in order, the OS caches the file.
      sqliteCacheKib: 4096,
      sqliteCheckpointedElsewhere: config.sqliteCheckpointIntervalMs > 0,
      postgresPoolSize: 2,
      postgresQueryTimeoutMs: config.postgresQueryTimeoutMs,
    },
    clock,
  });
}
