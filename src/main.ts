/**
 * Composition root: wires configuration, storage, use cases and the HTTP server; handles signals
 * and graceful shutdown (report draining, wait SHUTDOWN_DRAIN_DELAY_MS, stop accepting, drain
 * in-flight requests and batches, close the database).
 */

import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { createOutbound } from "./adapters/delivery/outbound-service.ts";
import { buildServer } from "./adapters/http/build-server.ts";
import { listenMetrics, type MetricsListener } from "./adapters/http/metrics.ts";
import { createClockSkewMonitor } from "./adapters/metrics/clock-skew.ts";
import { createServiceMetrics } from "./adapters/metrics/registry.ts";
import { primaryLog, startWhenDatabaseIsUp, superviseWorkers } from "./adapters/processes.ts";
import { tuneRuntime } from "./adapters/runtime.ts";
import { startFacts, startSummary } from "./adapters/start-summary.ts";
import { openStore } from "./adapters/storage/open-store.ts";
import { createIds, systemClock } from "./adapters/system.ts";
import { createApiKey } from "./app/api-keys.ts";
import { Catalog } from "./app/catalog.ts";
import { approveDueEntries } from "./app/commissions/approve-due.ts";
import { createCommissionEffect } from "./app/commissions/commission-effect.ts";
import { planCacheFor } from "./app/commissions/plan-cache.ts";
import type { GroupCommitOptions } from "./app/group-commit.ts";
import { createPostbackIngestor, type IngestDeps, type PostbackIngestor } from "./app/ingest-postback.ts";
import type { Clock, ConversionEffect, Ids, Store } from "./app/ports.ts";
import { createClickRecorder } from "./app/record-click.ts";
import type { Config } from "./config.ts";
import { PostwireError } from "./domain/errors.ts";
import { parseCidrList } from "./domain/ip.ts";
import { decodeSecret, encodeSecret } from "./domain/signing.ts";

export interface Service {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The listener of GET /metrics when it has its own (METRICS_PORT); undefined: it is on `url`. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** Secrets the service generates on first start and keeps in the database (zero set-up). */
async function serviceSecrets(store: Store, config: Config, ids: Ids) {
  const clickSecret =
    config.clickIdSecret ?? (await store.ensureSetting("click_id_secret", encodeSecret(ids.random(32))));
  const decoded = decodeSecret(clickSecret);
  if (!decoded.ok) throw new Error(`CLICK_ID_SECRET is not valid base64: ${decoded.error.message}`);
  const ipSalt = Buffer.from(
    await store.ensureSetting("ip_hash_salt", ids.random(32).toString("base64")),
    "base64",
  );
  return { clickSecret: decoded.value, ipSalt };
}

/**
 * Migrates the database and makes what the service keeps in it (generated secrets, the bootstrap
 * admin key). Several processes may run it at once: migrations are serialised, the first value of
 * each setting and the first bootstrap key win.
 */
async function prepareStore(store: Store, config: Config, clock: Clock, ids: Ids) {
  await store.migrate();
  const secrets = await serviceSecrets(store, config, ids);
  if (config.bootstrapAdminKey && (await store.apiKeys.count()) === 0) {
    try {
      const created = await createApiKey(store, clock, ids, {
        name: "bootstrap admin",
        role: "admin",
        key: config.bootstrapAdminKey,
      });
      if (!created.ok) throw new Error(created.error.message);
    } catch (error) {
      // Another process starting at the same moment created it first.
      if (!(error instanceof PostwireError && error.code === "conflict")) throw error;
    }
  }
  return secrets;
}

/** Group-commit settings for an engine, from the configuration (bench/ingest-core.ts uses them too). */
export function batchingFor(config: Config, engine: Store["engine"]): GroupCommitOptions {
  return {
    maxBatch: config.batchMax,
    // SQLite has one writer: one flush at a time. PostgreSQL overlaps a few batches on its pool.
    concurrency: engine === "sqlite" ? 1 : config.batchConcurrency,
    maxPending: config.maxPending,
    minIntervalMs: config.batchIntervalMs,
  };
}

/**
 * The postback ingestor with its effects as the service runs it; bench/ingest-core.ts builds the
 * same one, so the bench measures what production does.
 */
export function createIngestor(
  deps: Omit<IngestDeps, "clickSecrets" | "effects"> & {
    readonly clickSecret: Buffer;
    readonly outboundEffect: ConversionEffect;
  },
): PostbackIngestor {
  const { clickSecret, outboundEffect, ...rest } = deps;
  const { catalog, clock, ids } = deps;
  return createPostbackIngestor({
    ...rest,
    clickSecrets: [clickSecret],
    // Outbound last: commissions fill the payouts the outbound messages carry.
    effects: [
      createCommissionEffect({
        plans: planCacheFor(catalog, clock),
        clock,
        ids,
        clickSecrets: [clickSecret],
      }),
      outboundEffect,
    ],
  });
}

/** Test seams: where log lines go (default stdout); how shutdown waits out its drain delay. */
export interface ServiceOptions {
  readonly logStream?: { write(line: string): void };
  /** Waits `ms` (SHUTDOWN_DRAIN_DELAY_MS) before the listener closes (default: a timer). */
  readonly drainDelay?: (ms: number) => Promise<unknown>;
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
    batching,
    onStorageError,
    onSignatureSkew: skew.observe,
    outboundEffect: delivery.effect,
  });
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
    batching,
    onStorageError,
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

  const prune = async () => {
    const now = clock.now();
    const day = 86_400_000;
    try {
      const removed = {
        ...(await store.prune({
          requestLog: now - config.requestLogRetentionDays * day,
          clicks: now - config.clickRetentionDays * day,
        })),
        ...(await store.deliveries.prune(now - config.deliveryRetentionDays * day)),
        // A rotated-out signing secret is kept only for its grace period (docs/outbound.md).
        expiredSecrets: await store.deliveries.endpoints.eraseExpiredSecrets(now),
      };
      if (Object.values(removed).some((n) => n > 0)) app?.log.info({ removed }, "retention pruned old rows");
    } catch (error) {
      app?.log.error({ err: error }, "retention pruning failed");
    }
  };
  // The running prune is kept so shutdown waits for it instead of closing the database under it.
  let pruning: Promise<void> = prune();
  const pruneTimer = setInterval(() => {
    pruning = pruning.then(prune);
  }, config.pruneIntervalMs);
  pruneTimer.unref();

  // Hold periods: pending commissions become approved once their hold ends (every minute).
  let approving: Promise<void> = Promise.resolve();
  const approveTimer = setInterval(() => {
    approving = approving.then(() =>
      approveDueEntries(store, clock).then(
        () => undefined,
        (error: unknown) => app?.log.error({ err: error }, "commission approval failed"),
      ),
    );
  }, 60_000);
  approveTimer.unref();

  const server = app;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      clearInterval(pruneTimer);
      clearInterval(approveTimer);
      // /readyz already says draining; keep serving until load balancers have noticed and moved on.
      if (config.shutdownDrainDelayMs > 0) await (options.drainDelay ?? delay)(config.shutdownDrainDelayMs);
      await server.close();
      await metricsListener?.close();
      await Promise.all([ingestor.drain(), clicks.drain(), pruning, approving, delivery.dispatcher.stop()]);
      delivery.sender.close();
      await store.close();
    })();
    return stopping;
  };
  return { app: server, store, url, metricsUrl: metricsListener?.url, stop };
}

/**
 * The start summary (adapters/start-summary.ts): one JSON log line (`postwire listening`), and at a
 * terminal the same as a readable block on stdout.
 */
async function announceStart(config: Config, service: Service, out: NodeJS.WriteStream = process.stdout) {
  const { port } = service.app.server.address() as AddressInfo;
  const summary = startSummary(await startFacts(config, { ...service, port }, process.cwd()));
  service.app.log.info({ url: service.url, ...summary.fields }, "postwire listening");
  if (out.isTTY) out.write(summary.text);
}

/**
 * Runs the service until SIGTERM/SIGINT, then shuts down gracefully within the timeout. With
 * WORKERS above 1 (PostgreSQL), this process prepares the database, then supervises that many
 * worker processes sharing the listener (adapters/cluster.ts), each of which runs this function.
 */
export async function serve(config: Config): Promise<void> {
  const log = config.logLevel === "silent" ? () => undefined : primaryLog();
  const workers = config.workers === "auto" ? availableParallelism() : config.workers;
  if (workers > 1 && cluster.isPrimary) {
    await startWhenDatabaseIsUp(async () => {
      const store = openStore(config.databaseUrl, { postgresPoolSize: 1 });
      try {
        await prepareStore(store, config, systemClock, createIds());
      } finally {
        await store.close();
      }
    }, log);
    const stopTimeoutMs = config.shutdownDrainDelayMs + config.shutdownTimeoutMs + 5000;
    process.exit(await superviseWorkers({ workers, stopTimeoutMs, log }));
  }
  const service = await startWhenDatabaseIsUp(() => startService(config), log);
  await announceStart(config, service);
  const shutdown = (signal: string) => {
    service.app.log.info(
      { signal, drainDelayMs: config.shutdownDrainDelayMs },
      "shutting down: draining in-flight requests",
    );
    // The timeout bounds the drain, which starts once the drain delay is over.
    const timer = setTimeout(() => {
      service.app.log.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownDrainDelayMs + config.shutdownTimeoutMs);
    timer.unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        service.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
