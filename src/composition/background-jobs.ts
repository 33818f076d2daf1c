/**
 * The service's periodic jobs: retention pruning (request log, clicks, deliveries, expired signing
 * secrets, ended console sessions), the hold job (pending commissions approved once their hold ends),
 * the report activity fold (the deltas that clicks and postbacks append, folded into their rollup)
 * and the alerts (rules evaluated, then due notifications sent: docs/alerts.md). Each run is
 * chained after the previous one, so a slow run never overlaps the next; a failed run is logged
 * and the next one tries again; `stop()` clears the timers and waits for the running ones, so
 * shutdown never closes the database under them.
 */
import {
  createOutcomeHistory,
  DEFAULT_ALERT_SETTINGS,
  type EvaluateDeps,
  evaluateAlerts,
} from "../app/alerts/evaluate-alerts.ts";
import { type NotifyDeps, notifyDue } from "../app/alerts/notify-alerts.ts";
import { approveDueEntries } from "../app/commissions/approve-due.ts";
import type { OutboundSender, SendOptions } from "../app/delivery/sender-port.ts";
import type { Clock, Ids, Store } from "../app/ports.ts";
import type { Config } from "../config.ts";
import { nextAttemptAt } from "../domain/retry-schedule.ts";

const DAY_MS = 86_400_000;
/** How often the hold job looks for commissions whose hold has ended. */
const APPROVE_INTERVAL_MS = 60_000;
/**
 * How often the report activity appended by clicks and postbacks is folded into its rollup
 * (023_report_activity_delta.sql): reports read the unfolded rows too, so this bounds only how many
 * of them a report reads (a second of peak traffic: about 600 rows).
 */
const FOLD_INTERVAL_MS = 1000;

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

type AlertConfig = Pick<
  Config,
  | "alertIntervalMs"
  | "alertSilenceMinMs"
  | "alertRejectionRate"
  | "alertUnattributedJump"
  | "alertWindowMs"
  | "alertMinCount"
  | "alertEndpointFailingMs"
  | "publicUrl"
>;

/** What sending alert notifications takes: the outbound sender (SSRF guard, timeouts) and ids. */
export interface AlertSending {
  readonly sender: OutboundSender;
  readonly sendOptions: SendOptions;
  readonly ids: Ids;
}

/** Notifications sent per round; rounds repeat while a full one was due. */
const NOTIFY_BATCH = 20;

function alertJob(store: Store, clock: Clock, config: AlertConfig, sending: AlertSending, log: JobLog) {
  const settings = {
    ...DEFAULT_ALERT_SETTINGS,
    silenceMinMs: config.alertSilenceMinMs,
    rejectionRate: config.alertRejectionRate,
    unattributedJump: config.alertUnattributedJump,
    windowMs: config.alertWindowMs,
    minCount: config.alertMinCount,
    endpointFailingMs: config.alertEndpointFailingMs,
  };
  const evaluate: EvaluateDeps = {
    alerts: store.alerts,
    facts: store.alertFacts,
    history: createOutcomeHistory(store.alertFacts, settings),
    clock,
    ids: sending.ids,
    settings,
  };
  const notify: NotifyDeps = {
    alerts: store.alerts,
    sender: sending.sender,
    clock,
    schedule: (attempt, now, retryAfter) => nextAttemptAt(attempt, now, Math.random, retryAfter),
    sendOptions: sending.sendOptions,
    publicUrl: config.publicUrl,
    leaseMs: 5 * 60_000,
  };
  return async () => {
    try {
      const { opened, resolved } = await evaluateAlerts(evaluate);
      if (opened || resolved) log.info({ opened, resolved }, "alerts evaluated");
      while ((await notifyDue(notify, NOTIFY_BATCH)) === NOTIFY_BATCH);
    } catch (error) {
      log.error({ err: error }, "alert evaluation failed");
    }
  };
}

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

/** The fold job: a failure is logged once, until a fold succeeds again (it runs every second). */
export function foldJob(store: Store, log: JobLog): () => Promise<void> {
  let failing = false;
  return async () => {
    try {
      await store.stats.foldActivity();
      if (failing) log.info({}, "report activity folding works again");
      failing = false;
    } catch (error) {
      if (!failing) log.error({ err: error }, "report activity folding failed; trying again every second");
      failing = true;
    }
  };
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
  config: RetentionConfig & AlertConfig,
  log: JobLog,
  /** Alerts need the outbound sender; without it (or with ALERT_INTERVAL_MS=0) they are off. */
  alertSending?: AlertSending,
): BackgroundJobs {
  const pruning = every(config.pruneIntervalMs, true, () => pruneOnce(store, clock, config, log));
  const approving = every(APPROVE_INTERVAL_MS, false, () =>
    approveDueEntries(store, clock).then(
      () => undefined,
      (error: unknown) => log.error({ err: error }, "commission approval failed"),
    ),
  );
  const folding = every(FOLD_INTERVAL_MS, true, foldJob(store, log));
  const alerting =
    alertSending && config.alertIntervalMs
      ? every(config.alertIntervalMs, false, alertJob(store, clock, config, alertSending, log))
      : undefined;
  return {
    stop: async () => {
      await Promise.all([pruning.stop(), approving.stop(), folding.stop(), alerting?.stop()]);
    },
  };
}
