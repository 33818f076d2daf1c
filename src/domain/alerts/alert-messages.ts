/**
 * What an alert says (pure): its summary in words, the generic JSON webhook body and the
 * Slack-compatible message. Names come from outside (operators, endpoints): Slack's own escaping
 * (&, <, >) keeps them from turning into links or mentions.
 */

export const ALERT_RULES = [
  "operator_silent",
  "rejection_rate",
  "unattributed_rate",
  "endpoint_failing",
  "endpoint_disabled",
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];
export type AlertState = "firing" | "resolved";
export type SubjectKind = "operator" | "endpoint";

export interface AlertView {
  readonly id: string;
  readonly rule: AlertRule;
  readonly state: AlertState;
  readonly subjectKind: SubjectKind;
  readonly subjectId: number;
  readonly subjectName: string;
  readonly since: number;
  readonly resolvedAt: number | null;
  readonly figures: Readonly<Record<string, number | string | null>>;
  /** Absolute URL of the console page to look at. */
  readonly url: string;
}

const minutes = (m: unknown) => {
  const n = Number(m);
  return n >= 120 ? `${Math.floor(n / 60)} h ${n % 60} min` : `${n} min`;
};
const percent = (rate: unknown) => `${Math.round(Number(rate) * 1000) / 10} %`;

/** One sentence: what is wrong, with its figures. */
export function summaryOf(a: Pick<AlertView, "rule" | "subjectName" | "figures">): string {
  const f = a.figures;
  switch (a.rule) {
    case "operator_silent":
      return `Operator ${a.subjectName} has sent no postback for ${minutes(f["silent_minutes"])} (about ${f["expected_postbacks"]} were expected by its usual hours).`;
    case "rejection_rate":
      return `Operator ${a.subjectName}: ${percent(f["rate"])} of postbacks rejected (${f["rejected"]} of ${f["postbacks"]}; threshold ${percent(f["threshold"])}).`;
    case "unattributed_rate":
      return `Operator ${a.subjectName}: ${percent(f["rate"])} of accepted postbacks unattributed (${f["unattributed"]} of ${f["accepted"]}), usually ${percent(f["baseline_rate"])}.`;
    case "endpoint_failing":
      return `Endpoint ${a.subjectName}: every delivery attempt has failed for ${minutes(f["failing_minutes"])} (${f["consecutive_failures"]} in a row).`;
    case "endpoint_disabled":
      return `Endpoint ${a.subjectName} was disabled automatically: ${f["reason"]}`;
  }
}

/** The generic webhook's JSON body (signed like outbound postbacks). */
export function alertJson(a: AlertView): Record<string, unknown> {
  return {
    type: `alert.${a.state}`,
    alert: {
      id: a.id,
      rule: a.rule,
      state: a.state,
      subject: { type: a.subjectKind, id: a.subjectId, name: a.subjectName },
      since: new Date(a.since).toISOString(),
      resolved_at: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
      summary: summaryOf(a),
      figures: a.figures,
      url: a.url,
    },
  };
}

/** Slack's escaping for message text: only &, < and > are special. */
export const slackEscape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A Slack-compatible incoming-webhook message (also understood by Mattermost, Rocket.Chat…). */
export function slackMessage(a: AlertView): Record<string, unknown> {
  const head = a.state === "firing" ? ":red_circle: *Firing*" : ":large_green_circle: *Resolved*";
  const text = `${head} ${slackEscape(summaryOf(a))} <${slackEscape(a.url)}|Open in Postwire>`;
  return { text };
}
