/**
 * Alerts and alert webhooks in the admin API (docs/alerts.md). Alerts: an admin sees every one, an
 * operator key those about its operator. Webhooks: admin only; the URL passes the same egress
 * guard as affiliates' endpoints (checked again before each send), and a `json` webhook's signing
 * secret is shown once, when created.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import { encodeSecret } from "../../domain/signing.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { allowRoles, notFound } from "../admin/scope.ts";
import type {
  EgressGuard,
  OutboundRequest,
  OutboundSender,
  SendOptions,
  SendResult,
} from "../delivery/sender-port.ts";
import type {
  AlertFilter,
  AlertNotificationRow,
  AlertRow,
  AlertWebhook,
  WebhookFormat,
} from "./alert-port.ts";
import { notificationRequest } from "./notify-alerts.ts";

export interface AlertAdminDeps extends AdminDeps {
  readonly guard: EgressGuard;
  readonly sender: OutboundSender;
  readonly sendOptions: SendOptions;
}

const visible = (principal: Principal, a: AlertRow) =>
  principal.role === "admin" ||
  (principal.role === "operator" && a.subjectKind === "operator" && a.subjectId === principal.operatorId);

/** Newest first; an operator key's are those about its operator. */
export async function listAlerts(
  deps: AdminDeps,
  principal: Principal,
  filter: AlertFilter,
): Promise<AlertRow[]> {
  allowRoles(principal, "admin", "operator");
  const own =
    principal.role === "operator"
      ? { subject: { kind: "operator" as const, id: principal.operatorId! } }
      : {};
  return deps.store.alerts.list({ ...filter, ...own });
}

export async function getAlert(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<{ alert: AlertRow; notifications: AlertNotificationRow[] }> {
  allowRoles(principal, "admin", "operator");
  const alert = await deps.store.alerts.get(id);
  if (!alert || !visible(principal, alert)) throw notFound("Alert", id);
  return {
    alert,
    notifications: principal.role === "admin" ? await deps.store.alerts.notificationsOf(id) : [],
  };
}

async function checkUrl(deps: AlertAdminDeps, url: string): Promise<string> {
  const parsed = URL.parse(url);
  if (!parsed || !["http:", "https:"].includes(parsed.protocol))
    throw new PostwireError("invalid_field", "url must be an absolute http(s) URL.", "url");
  const verdict = await deps.guard.check(url);
  if (!verdict.ok)
    throw new PostwireError("invalid_field", `url may not be called: ${verdict.reason}`, "url");
  return url;
}

export async function createAlertWebhook(
  deps: AlertAdminDeps,
  principal: Principal,
  input: { name: string; url: string; format: WebhookFormat },
): Promise<{ webhook: AlertWebhook; secret: string }> {
  allowRoles(principal, "admin");
  const secret = encodeSecret(deps.ids.random(24));
  const webhook = await deps.store.alerts.webhooks.create(
    {
      name: input.name,
      url: await checkUrl(deps, input.url),
      format: input.format,
      secret,
      status: "active",
    },
    deps.clock.now(),
  );
  return { webhook, secret };
}

export async function listAlertWebhooks(deps: AdminDeps, principal: Principal): Promise<AlertWebhook[]> {
  allowRoles(principal, "admin");
  return deps.store.alerts.webhooks.list();
}

export async function getAlertWebhook(
  deps: AdminDeps,
  principal: Principal,
  id: number,
): Promise<AlertWebhook> {
  allowRoles(principal, "admin");
  const webhook = await deps.store.alerts.webhooks.get(id);
  if (!webhook) throw notFound("Alert webhook", id);
  return webhook;
}

export async function updateAlertWebhook(
  deps: AlertAdminDeps,
  principal: Principal,
  id: number,
  patch: {
    name?: string | undefined;
    url?: string | undefined;
    format?: WebhookFormat | undefined;
    status?: "active" | "disabled" | undefined;
  },
): Promise<AlertWebhook> {
  await getAlertWebhook(deps, principal, id);
  const url = patch.url === undefined ? undefined : await checkUrl(deps, patch.url);
  const updated = await deps.store.alerts.webhooks.update(
    id,
    {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(url === undefined ? {} : { url }),
      ...(patch.format === undefined ? {} : { format: patch.format }),
      ...(patch.status === undefined ? {} : { status: patch.status }),
    },
    deps.clock.now(),
  );
  if (!updated) throw notFound("Alert webhook", id);
  return updated;
}

/** Sends a sample firing alert now (not stored, not retried) and answers exactly what happened. */
export async function testAlertWebhook(
  deps: AlertAdminDeps,
  principal: Principal,
  id: number,
): Promise<{ request: OutboundRequest; result: SendResult }> {
  const webhook = await getAlertWebhook(deps, principal, id);
  const now = deps.clock.now();
  const request = notificationRequest(
    {
      id: deps.ids.next("an"),
      transition: "firing",
      attempts: 1,
      webhook,
      alert: {
        id: "al_TEST",
        rule: "operator_silent",
        subjectKind: "operator",
        subjectId: 0,
        subjectName: "Test operator (a sample alert from Postwire)",
        state: "firing",
        since: now - 45 * 60_000,
        resolvedAt: null,
        figures: {
          silent_minutes: 45,
          expected_postbacks: 12.5,
          last_postback_at: new Date(now - 45 * 60_000).toISOString(),
        },
        link: "/",
        createdAt: now,
        updatedAt: now,
      },
    },
    deps.publicUrl,
    now,
  );
  return { request, result: await deps.sender.send(request, deps.sendOptions) };
}
