/**
 * A program's own page (issue: Console II), for admin keys: the program's settings as updateProgram
 * allows them, its warnings, and its commission plans: the version in force and every past and
 * future one with its effective date, each in words, and the per-affiliate deals the same way.
 */
import type { ProgramView } from "../../app/admin/programs.ts";
import type { PlanVersion } from "../../app/commissions/ledger-port.ts";
import { dealAt, programPlanAt } from "../../app/commissions/plan-cache.ts";
import { describeTerms } from "../../domain/commissions/describe-terms.ts";
import { mergeTerms } from "../../domain/commissions/terms.ts";
import { type Affiliate, STATUSES } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, select, text, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

interface ProgramPageData {
  readonly program: ProgramView;
  readonly versions: readonly PlanVersion[];
  readonly affiliates: readonly Affiliate[];
  readonly now: number;
}

const PROGRAM_FIELDS = [
  "name",
  "status",
  "landing_url_template",
  "fallback_url",
  "allowed_events",
  "lookback_days",
];

/** The form's values for the program as it is. */
const programValues = (p: ProgramView): Values => ({
  name: p.name,
  status: p.status,
  landing_url_template: p.landingUrlTemplate,
  fallback_url: p.fallbackUrl ?? "",
  allowed_events: p.allowedEvents.join(", "),
  lookback_days: String(p.lookbackDays),
});

function editForm(program: ProgramView, viewer: Viewer, values: Values, error: FormError | undefined) {
  return html`<form method="post" action="/setup/programs/${program.id}" class="card">
  <h2>Settings</h2>${formLevel("program", error, PROGRAM_FIELDS)}
  ${csrfField(viewer.csrf)}
  <p class="muted">Operator ${program.operatorId} · ${program.vertical} · ${program.currency} (fixed once created).</p>
  ${field("program", "name", "Name", text(values["name"], html` required maxlength="200"`), error)}
  ${field(
    "program",
    "status",
    "Status",
    select(
      STATUSES.map((s) => [s, s] as const),
      values["status"],
    ),
    error,
  )}
  ${field("program", "landing_url_template", "Landing URL", text(values["landing_url_template"], html` required maxlength="2000"`), error, "Macros such as {click_id} and {sub1} are filled in.")}
  ${field("program", "fallback_url", "Fallback URL (optional)", text(values["fallback_url"], html` maxlength="2000"`), error, "Where a click on a paused link goes instead of a 404 page.")}
  ${field("program", "allowed_events", "Allowed events", text(values["allowed_events"], html` required`), error, "Event types this program accepts, separated by commas.")}
  ${field("program", "lookback_days", "Look-back (days)", text(values["lookback_days"], html` required inputmode="numeric"`), error, "Conversions of clicks older than this earn nothing.")}
  <button type="submit">Save settings</button>
</form>`;
}

/** When a version is in force, as a label: in force, from a future date, or replaced. */
function stateOf(v: PlanVersion, inForce: PlanVersion | undefined, now: number): SafeHtml {
  if (v.id === inForce?.id) return html`<span class="status active">in force</span>`;
  if (v.effectiveFrom > now) return html`<span class="status scheduled">scheduled</span>`;
  return html`<span class="status disabled">replaced</span>`;
}

/**
 * Versions newest first, each in words. A deal is shown merged over the plan in force when it
 * starts (or now), since that is what the affiliate earns; the components it names are listed.
 */
function versionList(
  versions: readonly PlanVersion[],
  inForce: PlanVersion | undefined,
  data: ProgramPageData,
  zone: string,
): SafeHtml {
  const sorted = [...versions].sort((a, b) => b.effectiveFrom - a.effectiveFrom || b.id - a.id);
  const wordsOf = (v: PlanVersion) => {
    if (v.affiliateId === null) return describeTerms(v.terms, data.program.currency);
    const plan = programPlanAt(data.versions, Math.max(v.effectiveFrom, data.now));
    return [
      `The deal names: ${Object.keys(v.terms).join(", ") || "nothing"}; with the plan in force then:`,
      ...describeTerms(mergeTerms(plan?.terms, v.terms) ?? v.terms, data.program.currency),
    ];
  };
  return html`<ol class="versions">${sorted.map(
    (v) => html`<li class="version" data-version="${v.id}">
  <p>${stateOf(v, inForce, data.now)} <strong>Version #${v.id}</strong>, in force from ${v.effectiveFrom === 0 ? "the start" : timeOf(v.effectiveFrom, zone)}${v.note ? html` · <span class="muted">${v.note}</span>` : ""}</p>
  <ul class="words">${wordsOf(v).map((s) => html`<li>${s}</li>`)}</ul>
</li>`,
  )}</ol>`;
}

function plansSection(data: ProgramPageData, zone: string): SafeHtml {
  const id = data.program.id;
  const plans = data.versions.filter((v) => v.affiliateId === null);
  const inForce = programPlanAt(data.versions, data.now);
  return html`<section class="card" aria-labelledby="plans-h">
  <h2 id="plans-h">Commission plan</h2>
  ${data.program.warnings.map((w) => html`<p class="warning" role="status">${w.message}</p>`)}
  <p><a class="button" href="/setup/programs/${id}/plans/new">New plan version</a> <a href="/setup/programs/${id}/recalculate">Recalculate past conversions</a></p>
  ${plans.length ? versionList(plans, inForce, data, zone) : html`<p class="muted">No plan version yet.</p>`}
</section>`;
}

function dealsSection(data: ProgramPageData, zone: string): SafeHtml {
  const id = data.program.id;
  const names = new Map(data.affiliates.map((a) => [a.id, a.name]));
  const byAffiliate = new Map<number, PlanVersion[]>();
  for (const v of data.versions)
    if (v.affiliateId !== null)
      byAffiliate.set(v.affiliateId, [...(byAffiliate.get(v.affiliateId) ?? []), v]);
  return html`<section class="card" aria-labelledby="deals-h">
  <h2 id="deals-h">Deals</h2>
  <p>A deal gives one affiliate other terms: each component it names replaces the plan's, the others are the plan's.</p>
  <form method="get" action="/setup/programs/${id}/plans/new" class="inline">
    <label class="inline-label" for="deal-affiliate">Affiliate</label>
    <select id="deal-affiliate" name="affiliate_id">${data.affiliates.map((a) => html`<option value="${a.id}">${a.name} (${a.id})</option>`)}</select>
    <button class="inline-button" type="submit">New deal</button>
  </form>
  ${[...byAffiliate].map(
    ([
      affiliateId,
      versions,
    ]) => html`<h3>${names.get(affiliateId) ?? `Affiliate ${affiliateId}`} (${affiliateId})</h3>
  <p><a href="/setup/programs/${id}/plans/new?affiliate_id=${affiliateId}">New deal version</a> · <a href="/setup/affiliates/${affiliateId}/parent">Parent (sub-affiliate override)</a></p>
  ${versionList(versions, dealAt(data.versions, affiliateId, data.now), data, zone)}`,
  )}
</section>`;
}

export function programPage(
  data: ProgramPageData,
  viewer: Viewer,
  state: { values?: Values; error?: FormError; saved?: string | undefined } = {},
): string {
  const p = data.program;
  const saved = { settings: "Settings saved.", plan: "New version saved." }[state.saved ?? ""];
  return page({
    title: p.name,
    viewer,
    path: `/setup/programs/${p.id}`,
    body: html`<p><a href="/setup">← Set-up</a></p>
<h1>Program ${p.name}</h1>
${saved ? html`<section class="created" role="status"><h2>${saved}</h2></section>` : ""}
<div class="program-grid">
${editForm(p, viewer, state.values ?? programValues(p), state.error)}
<div>
${plansSection(data, viewer.timeZone)}
${dealsSection(data, viewer.timeZone)}
</div>
</div>`,
  });
}
