/**
 * Composition root: wires configuration, storage, use cases and the HTTP server; handles signals
 * and graceful shutdown (report draining, wait SHUTDOWN_DRAIN_DELAY_MS, stop accepting, drain
 * in-flight requests and batches, close the database).
 */
import { setTimeout as delay } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { createDispatcher, newWorkerId } from "./adapters/delivery/dispatcher.ts";
import { createEgressGuard } from "./adapters/delivery/egress-guard.ts";
import { createHttpSender } from "./adapters/delivery/http-sender.ts";
import { buildServer } from "./adapters/http/build-server.ts";
import { createClockSkewMonitor } from "./adapters/metrics/clock-skew.ts";
import { createDeliveryMetrics } from "./adapters/metrics/delivery-metrics.ts";
import { tuneRuntime } from "./adapters/runtime.ts";
import { openStore } from "./adapters/storage/open-store.ts";
import { createIds, systemClock } from "./adapters/system.ts";
import { createApiKey } from "./app/api-keys.ts";
import { Catalog } from "./app/catalog.ts";
import { approveDueEntries } from "./app/commissions/approve-due.ts";
import { createCommissionEffect } from "./app/commissions/commission-effect.ts";
import { planCacheFor } from "./app/commissions/plan-cache.ts";
import { EndpointCache } from "./app/delivery/endpoint-cache.ts";
import { createApprovalForwarder } from "./app/delivery/forward-approvals.ts";
import { createOutboundEffect } from "./app/delivery/outbound-effect.ts";
import type { GroupCommitOptions } from "./app/group-commit.ts";
import { createPostbackIngestor, type IngestDeps, type PostbackIngestor } from "./app/ingest-postback.ts";
import type { Clock, ConversionEffect, Ids, Store } from "./app/ports.ts";
import { createClickRecorder } from "./app/record-click.ts";
import type { Config } from "./config.ts";
import { parseEgressAllowlist } from "./domain/egress.ts";
import { parseCidrList } from "./domain/ip.ts";
import { nextAttemptAt } from "./domain/retry-schedule.ts";
import { decodeSecret, encodeSecret } from "./domain/signing.ts";

export interface Service {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  readonly url: string;
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

/** Outbound postbacks (DESIGN §4): the outbox effect, the dispatcher, the admin seams, metrics. */
function outbound(config: Config, store: Store, clock: Clock, ids: Ids, onError: (error: unknown) => void) {
  const allow = parseEgressAllowlist(config.deliveryAllow, "DELIVERY_ALLOW");
  const guard = createEgressGuard(allow.ok ? { allow: allow.value } : {});
  // A socket per delivery the dispatcher may have in flight: none waits in the agent's queue.
  const sender = createHttpSender({ guard, maxSocketsPerOrigin: config.deliveryConcurrency });
  const endpointCache = new EndpointCache(clock);
  const metrics = createDeliveryMetrics();
  const timeout = config.deliveryTimeoutMs;
  const sendOptions = {
    connectTimeoutMs: Math.min(5000, timeout),
    responseTimeoutMs: timeout,
    deadlineMs: timeout,
  };
  const deliver = {
    store: store.deliveries,
    sender,
    clock,
    ids,
    schedule: (attempt: number, now: number, retryAfter: number | null) =>
      nextAttemptAt(attempt, now, Math.random, retryAfter),
    sendOptions,
    failureThreshold: config.endpointFailureThreshold,
    workerId: newWorkerId(),
    onAttempt: metrics.observe,
  };
  const dispatcher = createDispatcher(deliver, {
    concurrency: config.deliveryConcurrency,
    perEndpoint: config.deliveryPerEndpoint,
    intervalMs: config.dispatchIntervalMs,
    leaseMs: config.deliveryLeaseMs,
    releaseAtStart: store.engine === "sqlite",
    // Approvals made later by the hold job are forwarded from the ledger (idempotent per process).
    forward: createApprovalForwarder({ store: store.deliveries, clock, ids }).tick,
    forwardIntervalMs: Math.max(config.dispatchIntervalMs, 1000),
    onError,
  });
  const effect: ConversionEffect = createOutboundEffect({ cache: endpointCache, clock, ids });
  return {
    effect,
    dispatcher,
    sender,
    routes: { guard, sender, endpointCache, sendOptions },
    metrics: () => metrics.render(() => store.deliveries.dueBacklog(clock.now())),
  };
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

/** Test seams: where log lines go (default stdout). */
export interface ServiceOptions {
  readonly logStream?: { write(line: string): void };
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
  await store.migrate();
  const { clickSecret, ipSalt } = await serviceSecrets(store, config, ids);
  if (config.bootstrapAdminKey && (await store.apiKeys.count()) === 0) {
    const created = await createApiKey(store, clock, ids, {
      name: "bootstrap admin",
      role: "admin",
      key: config.bootstrapAdminKey,
    });
    if (!created.ok) throw new Error(created.error.message);
  }

  let draining = false;
  const catalog = new Catalog(store, clock);
  const batching = batchingFor(config, store.engine);
  const onStorageError = (error: unknown) => app?.log.error({ err: error }, "storage error");
  const delivery = outbound(config, store, clock, ids, (error) =>
    app?.log.error({ err: error }, "outbound delivery error"),
  );
  // Signed postbacks' clock skew: a metric, and a warning when this server's clock seems wrong.
  const skew = createClockSkewMonitor({
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
    metrics: async () => (await delivery.metrics()) + skew.render(),
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  if (checkpointFailure !== undefined) logCheckpointFailure(app, checkpointFailure);
  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
    await delivery.dispatcher.start();
  } catch (error) {
    // Port taken or host not bindable: do not leave the database open behind the error.
    await app.close();
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
      if (config.shutdownDrainDelayMs > 0) await delay(config.shutdownDrainDelayMs);
      await server.close();
      await Promise.all([ingestor.drain(), clicks.drain(), pruning, approving, delivery.dispatcher.stop()]);
      delivery.sender.close();
      await store.close();
    })();
    return stopping;
  };
  return { app: server, store, url, stop };
}

/** Runs the service until SIGTERM/SIGINT, then shuts down gracefully within the timeout. */
export async function serve(config: Config): Promise<void> {
  const service = await startService(config);
  service.app.log.info({ url: service.url, engine: service.store.engine }, "postwire listening");
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
