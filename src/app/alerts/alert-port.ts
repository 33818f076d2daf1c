/** Storage of alerts (evaluate-alerts.ts), their webhooks and notifications (notify-alerts.ts). */
import type { AlertRule, AlertState, SubjectKind } from "../../domain/alerts/alert-messages.ts";

export interface AlertRow {
  readonly id: string;
  readonly rule: AlertRule;
  readonly subjectKind: SubjectKind;
  readonly subjectId: number;
  readonly subjectName: string;
  readonly state: AlertState;
  /** When the condition began. */
  readonly since: number;
  readonly resolvedAt: number | null;
  readonly figures: Readonly<Record<string, number | string | null>>;
  /** The console path to look at. */
  readonly link: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface AlertWebhook {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly format: WebhookFormat;
  /** Signs `json` notifications (Standard Webhooks, like outbound postbacks). */
  readonly secret: string;
  readonly status: "active" | "disabled";
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewAlertWebhook = Pick<AlertWebhook, "name" | "url" | "format" | "secret" | "status">;

type Transition = AlertState;

export interface NewNotification {
  readonly id: string;
  readonly webhookId: number;
  readonly transition: Transition;
}

export interface ClaimedNotification {
  readonly id: string;
  readonly transition: Transition;
  /** Attempts made, this one included. */
  readonly attempts: number;
  readonly alert: AlertRow;
  readonly webhook: AlertWebhook;
}

export interface NotificationOutcome {
  readonly state: "pending" | "delivered" | "dead";
  readonly runAt: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
}

export interface AlertNotificationRow {
  readonly id: string;
  readonly webhookId: number;
  readonly transition: Transition;
  readonly state: "pending" | "delivered" | "dead";
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly deliveredAt: number | null;
}

export interface AlertFilter {
  readonly state?: AlertState | undefined;
  /** Only the alerts about this subject. */
  readonly subject?: { readonly kind: SubjectKind; readonly id: number } | undefined;
  readonly limit: number;
  /** Keyset position (created_at, id) of the last row of the previous page. */
  readonly after?: readonly [number, string] | undefined;
}

export interface AlertStore {
  /** Every alert firing now. */
  firing(): Promise<AlertRow[]>;
  /**
   * Opens a firing alert and queues its notifications, in one transaction; false (and nothing
   * written) when one fires already for its rule and subject (another process opened it).
   */
  open(alert: AlertRow, notifications: readonly NewNotification[]): Promise<boolean>;
  /** New figures for a firing alert (no notification). */
  refresh(id: string, figures: AlertRow["figures"], now: number): Promise<void>;
  /** Resolves a firing alert and queues its notifications; false when it was not firing any more. */
  resolve(id: string, now: number, notifications: readonly NewNotification[]): Promise<boolean>;
  list(filter: AlertFilter): Promise<AlertRow[]>;
  get(id: string): Promise<AlertRow | undefined>;
  notificationsOf(alertId: string): Promise<AlertNotificationRow[]>;
  /** Takes due notifications for `leaseMs` (their attempt counted), oldest first. */
  claim(now: number, leaseMs: number, limit: number): Promise<ClaimedNotification[]>;
  finish(id: string, outcome: NotificationOutcome, now: number): Promise<void>;
  readonly webhooks: {
    create(row: NewAlertWebhook, now: number): Promise<AlertWebhook>;
    list(): Promise<AlertWebhook[]>;
    get(id: number): Promise<AlertWebhook | undefined>;
    update(
      id: number,
      patch: Partial<Pick<AlertWebhook, "name" | "url" | "format" | "status">>,
      now: number,
    ): Promise<AlertWebhook | undefined>;
  };
}

/** An operator as the rules see it. */
interface OperatorFacts {
  readonly id: number;
  readonly name: string;
  readonly lastPostbackAt: number | null;
}

/** An endpoint as the rules see it. */
interface EndpointFacts {
  readonly id: number;
  readonly name: string;
  readonly affiliateId: number;
  readonly status: "active" | "disabled";
  readonly failingSince: number | null;
  readonly consecutiveFailures: number;
  readonly disabledReason: string | null;
  readonly disabledAt: number | null;
}

export interface OutcomeCounts {
  readonly postbacks: number;
  readonly rejected: number;
  readonly accepted: number;
  readonly unattributed: number;
}

/** One operator's postbacks in one UTC hour, by outcome (from the postback rollup). */
export interface HourOutcomes extends OutcomeCounts {
  readonly operatorId: number;
  /** Start of the hour (epoch ms). */
  readonly hour: number;
}

/** What the rules read, each from running rollups or one indexed row per subject (never raw logs). */
export interface AlertFactsReader {
  /** Enabled operators with their last postback (any outcome). */
  operators(): Promise<OperatorFacts[]>;
  /** Endpoints that are active or were disabled automatically. */
  endpoints(): Promise<EndpointFacts[]>;
  /** Every operator's postbacks per UTC hour in [from, to) by outcome (hours with none absent). */
  hourlyOutcomes(from: number, to: number): Promise<HourOutcomes[]>;
}
