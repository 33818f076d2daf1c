/**
 * Entry of `postwire serve`: runs the service (composition/start-service.ts) until SIGTERM/SIGINT,
 * or, with WORKERS above 1, supervises worker processes that each run it.
 */
import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { createIds, systemClock } from "./adapters/clock-and-ids.ts";
import { primaryLog, startWhenDatabaseIsUp, superviseWorkers } from "./adapters/processes.ts";
import { startFacts, startSummary } from "./adapters/start-summary.ts";
import { openStore } from "./adapters/storage/open-store.ts";
import { prepareStore } from "./composition/prepare-database.ts";
import { type Service, startService } from "./composition/start-service.ts";
import type { Config } from "./config.ts";

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
