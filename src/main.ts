/**
 * Composition root: wires configuration, storage, use cases and the HTTP server; handles signals
 * and graceful shutdown (stop accepting, drain in-flight requests and batches, close the database).
 */
import type { FastifyInstance } from "fastify";
import { buildServer } from "./adapters/http/build-server.ts";
import { openStore } from "./adapters/storage/open-store.ts";
import { createIds, systemClock } from "./adapters/system.ts";
import { createApiKey } from "./app/api-keys.ts";
import { Catalog } from "./app/catalog.ts";
import { createPostbackIngestor } from "./app/ingest-postback.ts";
import type { Clock, Ids, Store } from "./app/ports.ts";
import { createClickRecorder } from "./app/record-click.ts";
import type { Config } from "./config.ts";
import { parseCidrList } from "./domain/ip.ts";
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

/** Test seams: where log lines go (default stdout). */
export interface ServiceOptions {
  readonly logStream?: { write(line: string): void };
}

export async function startService(
  config: Config,
  clock: Clock = systemClock,
  options: ServiceOptions = {},
): Promise<Service> {
  const ids = createIds(clock);
  const store = openStore(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    postgresPoolSize: config.postgresPoolSize,
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
  // SQLite has one writer: one flush at a time. PostgreSQL overlaps a few batches on its pool.
  const concurrency = store.engine === "sqlite" ? 1 : Math.max(1, Math.floor(config.postgresPoolSize / 2));
  const batching = { maxBatch: config.batchMax, concurrency, maxPending: config.maxPending };
  let app: FastifyInstance | undefined;
  const onStorageError = (error: unknown) => app?.log.error({ err: error }, "storage error");
  const ingestor = createPostbackIngestor({
    store,
    catalog,
    clock,
    ids,
    clickSecrets: [clickSecret],
    batching,
    onStorageError,
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
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
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
      const removed = await store.prune({
        requestLog: now - config.requestLogRetentionDays * day,
        clicks: now - config.clickRetentionDays * day,
      });
      if (removed.requestLog || removed.clicks) app?.log.info({ removed }, "retention pruned old rows");
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

  const server = app;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      clearInterval(pruneTimer);
      await server.close();
      await Promise.all([ingestor.drain(), clicks.drain(), pruning]);
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
    service.app.log.info({ signal }, "shutting down: draining in-flight requests");
    const timer = setTimeout(() => {
      service.app.log.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
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
