/**
 * The alert evaluator (docs/alerts.md): every interval, reads the facts each rule needs, decides
 * which alerts fire, opens the new ones, refreshes the figures of those still firing and resolves
 * the rest. Opening and resolving queue one notification per active webhook; the unique index on
 * firing alerts (and on notifications) keeps processes that evaluate at once from doubling them.
 */
import type { AlertRule, SubjectKind } from "../../domain/alerts/alert-messages.ts";
import {
  endpointDisabled,
  endpointFailing,
  rejectionRate,
  silence,
  unattributedJump,
  type Verdict,
  weeklyRates,
} from "../../domain/alerts/rules.ts";
import type { Clock, Ids } from "../ports.ts";
import type { AlertFactsReader, AlertRow, AlertStore, NewNotification, OutcomeCounts } from "./alert-port.ts";
import { addCounts, OutcomeHistory } from "./outcome-history.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface AlertSettings {
  /** Silence: the configured minimum gap (the rule's own floor still applies). */
  readonly silenceMinMs: number;
  /** Weeks of history the usual rates are learned from. */
  readonly silenceWeeks: number;
  /** Rejection rate that fires, over `windowMs`, from `minCount` postbacks on. */
  readonly rejectionRate: number;
  /** Unattributed share this far above the 7-day baseline (and twice it) fires. */
  readonly unattributedJump: number;
  readonly windowMs: number;
  readonly minCount: number;
  /** An endpoint whose attempts all failed for this long fires. */
  readonly endpointFailingMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  silenceMinMs: 30 * 60_000,
  silenceWeeks: 4,
  rejectionRate: 0.25,
  unattributedJump: 0.2,
  windowMs: HOUR_MS,
  minCount: 20,
  endpointFailingMs: 30 * 60_000,
};

export interface EvaluateDeps {
  readonly alerts: AlertStore;
  readonly facts: AlertFactsReader;
  /** The operators' hourly outcomes, kept between evaluations (createOutcomeHistory). */
  readonly history: OutcomeHistory;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly settings: AlertSettings;
}

/** What one evaluation decided: the alerts it opened and resolved. */
interface Evaluation {
  readonly opened: number;
  readonly resolved: number;
}

interface Candidate {
  readonly rule: AlertRule;
  readonly subjectKind: SubjectKind;
  readonly subjectId: number;
  readonly subjectName: string;
  readonly link: string;
  readonly verdict: Verdict;
}

const keyOf = (a: { rule: string; subjectKind: string; subjectId: number }) =>
  `${a.rule}:${a.subjectKind}:${a.subjectId}`;
const NONE: OutcomeCounts = { postbacks: 0, rejected: 0, accepted: 0, unattributed: 0 };
const hourStart = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

async function operatorCandidates(deps: EvaluateDeps, now: number): Promise<Candidate[]> {
  const { facts, settings } = deps;
  const operators = await facts.operators();
  if (!operators.length) return [];
  // Whole hours: the rollup counts per hour. Ended hours come from the history (read once, then
  // hour by hour); the current, partial hour is read fresh each time.
  const currentHour = hourStart(now);
  const historyFrom = currentHour - settings.silenceWeeks * 7 * DAY_MS;
  const windowFrom = hourStart(now - settings.windowMs);
  await deps.history.advanceTo(currentHour);
  const current = new Map<number, OutcomeCounts>();
  for (const h of await facts.hourlyOutcomes(currentHour, currentHour + HOUR_MS))
    current.set(h.operatorId, h);
  const out: Candidate[] = [];
  for (const o of operators) {
    const link = `/requests?operator=${o.id}`;
    const subject = { subjectKind: "operator" as const, subjectId: o.id, subjectName: o.name, link };
    const rates = weeklyRates(
      deps.history.countsOf(o.id, historyFrom, currentHour),
      historyFrom,
      currentHour,
    );
    out.push({
      ...subject,
      rule: "operator_silent",
      verdict: silence({ lastPostbackAt: o.lastPostbackAt, now, rates, minGapMs: settings.silenceMinMs }),
    });
    const w = addCounts(deps.history.sumOf(o.id, windowFrom, currentHour), current.get(o.id) ?? NONE);
    const b = deps.history.sumOf(o.id, windowFrom - 7 * DAY_MS, windowFrom);
    out.push({
      ...subject,
      link: `/requests?operator=${o.id}&outcome=rejected`,
      rule: "rejection_rate",
      verdict: rejectionRate({
        part: w.rejected,
        whole: w.postbacks,
        threshold: settings.rejectionRate,
        minCount: settings.minCount,
        windowStart: windowFrom,
      }),
    });
    out.push({
      ...subject,
      link: `/requests?operator=${o.id}&outcome=unattributed`,
      rule: "unattributed_rate",
      verdict: unattributedJump({
        unattributed: w.unattributed,
        accepted: w.accepted,
        baselineUnattributed: b.unattributed,
        baselineAccepted: b.accepted,
        jump: settings.unattributedJump,
        minCount: settings.minCount,
        windowStart: windowFrom,
      }),
    });
  }
  return out;
}

async function endpointCandidates(deps: EvaluateDeps, now: number): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const e of await deps.facts.endpoints()) {
    const input = { ...e, now, failingMs: deps.settings.endpointFailingMs };
    const subject = {
      subjectKind: "endpoint" as const,
      subjectId: e.id,
      subjectName: e.name,
      // No console page per endpoint yet: the alerts page shows the figures.
      link: "/alerts",
    };
    out.push({ ...subject, rule: "endpoint_failing", verdict: endpointFailing(input) });
    out.push({ ...subject, rule: "endpoint_disabled", verdict: endpointDisabled(input) });
  }
  return out;
}

/** The history an evaluator keeps: the weeks silence learns from (the baseline's 7 days are within). */
export const createOutcomeHistory = (facts: AlertFactsReader, settings: AlertSettings): OutcomeHistory =>
  new OutcomeHistory(facts, Math.max(settings.silenceWeeks * 7 * DAY_MS, 8 * DAY_MS));

/** One evaluation of every rule for every subject. */
export async function evaluateAlerts(deps: EvaluateDeps): Promise<Evaluation> {
  const now = deps.clock.now();
  const candidates = [...(await operatorCandidates(deps, now)), ...(await endpointCandidates(deps, now))];
  const firing = new Map((await deps.alerts.firing()).map((a) => [keyOf(a), a]));
  const webhooks = (await deps.alerts.webhooks.list()).filter((w) => w.status === "active");
  const notify = (transition: "firing" | "resolved"): NewNotification[] =>
    webhooks.map((w) => ({ id: deps.ids.next("an"), webhookId: w.id, transition }));
  let opened = 0;
  let resolved = 0;
  const judged = new Set<string>();
  for (const c of candidates) {
    const key = keyOf(c);
    judged.add(key);
    const current = firing.get(key);
    if (c.verdict.firing && !current) {
      const row: AlertRow = {
        id: deps.ids.next("al"),
        rule: c.rule,
        subjectKind: c.subjectKind,
        subjectId: c.subjectId,
        subjectName: c.subjectName,
        state: "firing",
        since: c.verdict.since,
        resolvedAt: null,
        figures: c.verdict.figures,
        link: c.link,
        createdAt: now,
        updatedAt: now,
      };
      if (await deps.alerts.open(row, notify("firing"))) opened++;
    } else if (c.verdict.firing && current) {
      await deps.alerts.refresh(current.id, c.verdict.figures, now);
    } else if (!c.verdict.firing && current) {
      if (await deps.alerts.resolve(current.id, now, notify("resolved"))) resolved++;
    }
  }
  // Subjects gone (an operator disabled, an endpoint re-enabled by hand or removed): resolved.
  for (const [key, alert] of firing)
    if (!judged.has(key) && (await deps.alerts.resolve(alert.id, now, notify("resolved")))) resolved++;
  return { opened, resolved };
}
