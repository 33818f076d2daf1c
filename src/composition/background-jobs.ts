/**
 * The service's periodic jobs: retention pruning (request log, clicks, deliveries, expired signing
 * secrets, ended console sessions) and the hold job (pending commissions approved once their hold ends). Each run is
 * chained after the previous one, so a slow run never overlaps the next; a failed run is logged
 * and the next one tries again; `stop()` clears the timers and waits for the running ones, so
 * shutdown never closes the database under them.
 */
import { approveDueEntries } from "../app/commissions/approve-due.ts";
import type { Clock, Store } from "../app/ports.ts";
import type { Config } from "../config.ts";

const DAY_MS = 86_400_000;
/** How often the hold job looks for commissions whose hold has ended. */
const APPROVE_INTERVAL_MS = 60_000;

export interface JobLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface BackgroundJobs {
  stop(): Promise<void>;
}

type RetentionConfig = Pick<
  Config,
  "requestLogRetentionDays" | "clickRetentionDays" | "deliveryRetentionDays" | "pruneIntervalMs"
>;

async function pruneOnce(store: Store, clock: Clock, config: RetentionConfig, log: JobLog): Promise<void> {
  const now = clock.now();
  try {
    const removed = {
      ...(await store.prune({
        requestLog: now - config.requestLogRetentionDays * DAY_MS,
        clicks: now - config.clickRetentionDays * DAY_MS,
      })),
      ...(await store.deliveries.prune(now - config.deliveryRetentionDays * DAY_MS)),
      // A rotated-out signing secret is kept only for its grace period (docs/outbound.md).
      expiredSecrets: await store.deliveries.endpoints.eraseExpiredSecrets(now),
      // Console sessions that ended (expired or signed out): nothing reads them any more.
      consoleSessions: await store.consoleSessions.prune(now),
    };
    if (Object.values(removed).some((n) => n > 0)) log.info({ removed }, "retention pruned old rows");
  } catch (error) {
    log.error({ err: error }, "retention pruning failed");
  }
}

/** Runs `run` now (when `atStart`) and then every `intervalMs`, one run at a time. */
function every(intervalMs: number, atStart: boolean, run: () => Promise<void>) {
  let running: Promise<void> = atStart ? run() : Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(run);
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return running;
    },
  };
}

export function startBackgroundJobs(
  store: Store,
  clock: Clock,
  config: RetentionConfig,
  log: JobLog,
): BackgroundJobs {
  const pruning = every(config.pruneIntervalMs, true, () => pruneOnce(store, clock, config, log));
  const approving = every(APPROVE_INTERVAL_MS, false, () =>
    approveDueEntries(store, clock).then(
      () => undefined,
      (error: unknown) => log.error({ err: error }, "commission approval failed"),
    ),
  );
  return {
    stop: async () => {
      await Promise.all([pruning.stop(), approving.stop()]);
    },
  };
}
