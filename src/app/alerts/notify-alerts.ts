/**
 * Sends alert notifications (docs/alerts.md) through the same outbound machinery as postbacks to
 * affiliates: the sender with its SSRF guard, timeouts and no redirects, and the same retry
 * schedule (Retry-After honoured). `json` webhooks get the alert as JSON signed with Standard
 * Webhooks headers (webhook-id = the notification id, so a receiver can dedupe retries); `slack`
 * webhooks a Slack-compatible message.
 */
import { type AlertView, alertJson, slackMessage } from "../../domain/alerts/alert-messages.ts";
import { decodeSecret, signWebhook } from "../../domain/signing.ts";
import type { RetrySchedule } from "../delivery/deliver-postback.ts";
import { USER_AGENT } from "../delivery/outbound-message.ts";
import type { OutboundRequest, OutboundSender, SendOptions, SendResult } from "../delivery/sender-port.ts";
import type { Clock } from "../ports.ts";
import type { AlertStore, ClaimedNotification, NotificationOutcome } from "./alert-port.ts";

export interface NotifyDeps {
  readonly alerts: AlertStore;
  readonly sender: OutboundSender;
  readonly clock: Clock;
  readonly schedule: RetrySchedule;
  readonly sendOptions: SendOptions;
  /** Base URL of the console, for the alert's link. */
  readonly publicUrl: string;
  /** How long a claimed notification is this process's before another may take it. */
  readonly leaseMs: number;
}

/** The alert as its notification tells it (the transition decides firing or resolved). */
function viewOf(n: ClaimedNotification, publicUrl: string): AlertView {
  const a = n.alert;
  return {
    id: a.id,
    rule: a.rule,
    state: n.transition,
    subjectKind: a.subjectKind,
    subjectId: a.subjectId,
    subjectName: a.subjectName,
    since: a.since,
    resolvedAt: n.transition === "resolved" ? a.resolvedAt : null,
    figures: a.figures,
    url: new URL(a.link, publicUrl).href,
  };
}

export function notificationRequest(n: ClaimedNotification, publicUrl: string, now: number): OutboundRequest {
  const view = viewOf(n, publicUrl);
  const headers: Record<string, string> = { "user-agent": USER_AGENT, "content-type": "application/json" };
  if (n.webhook.format === "slack")
    return { url: n.webhook.url, method: "POST", headers, body: JSON.stringify(slackMessage(view)) };
  const body = JSON.stringify(alertJson(view));
  const timestamp = String(Math.floor(now / 1000));
  headers["webhook-id"] = n.id;
  headers["webhook-timestamp"] = timestamp;
  const secret = decodeSecret(n.webhook.secret);
  if (secret.ok) headers["webhook-signature"] = signWebhook(secret.value, n.id, timestamp, body);
  return { url: n.webhook.url, method: "POST", headers, body };
}

function outcomeOf(
  deps: NotifyDeps,
  n: ClaimedNotification,
  result: SendResult,
  now: number,
): NotificationOutcome {
  if (result.ok) return { state: "delivered", runAt: now, lastError: null, lastStatus: result.status };
  const what = result.status === null ? (result.error ?? "error") : `HTTP ${result.status}`;
  const lastError = (result.detail ? `${what}: ${result.detail}` : what).slice(0, 500);
  const next = deps.schedule(n.attempts, now, result.retryAfterSeconds);
  return next === null
    ? { state: "dead", runAt: now, lastError, lastStatus: result.status }
    : { state: "pending", runAt: next, lastError, lastStatus: result.status };
}

/** Sends what is due (at most `limit`); returns how many were attempted. */
export async function notifyDue(deps: NotifyDeps, limit = 20): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.alerts.claim(now, deps.leaseMs, limit);
  await Promise.all(
    due.map(async (n) => {
      const result = await deps.sender.send(
        notificationRequest(n, deps.publicUrl, deps.clock.now()),
        deps.sendOptions,
      );
      await deps.alerts.finish(n.id, outcomeOf(deps, n, result, deps.clock.now()), deps.clock.now());
    }),
  );
  return due.length;
}
