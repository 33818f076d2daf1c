/**
 * The plan editor (issue: Console II): a form over every component of the terms, pre-filled from
 * the version in force (or the vertical's preset), with an effective date and a note. "Preview"
 * shows the plan in words without storing it; "Save" adds a new version (versions are never edited).
 * For a deal the same form names only the components that replace the plan's.
 */

import { describeTerms } from "../../domain/commissions/describe-terms.ts";
import type { Terms } from "../../domain/commissions/terms.ts";
import { mergeTerms } from "../../domain/commissions/terms.ts";
import type { Affiliate, Program } from "../../domain/model.ts";
import { type FormError, field, formLevel, select, text, textArea, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";
import { QUALIFICATION_KINDS } from "../plan-form.ts";

export interface PlanEditorData {
  readonly program: Program;
  /** Set: a deal for this affiliate. */
  readonly affiliate?: Affiliate | undefined;
  /** Where the form's values came from, in words ("the version in force (3)", "the igaming preset"). */
  readonly startedFrom: string;
}

interface PlanEditorState {
  readonly values: Values;
  readonly error?: FormError | undefined;
  /** After "Preview": the terms as they would be stored, and the plan a deal is merged over. */
  readonly preview?: { readonly terms: Terms; readonly plan?: Terms | undefined } | undefined;
}

const FIELDS = [
  "cpa_amount",
  "cpa_kind",
  "cpa_min_deposit",
  "cpa_cumulative_hours",
  "cpa_min_lots",
  "cpa_within_days",
  "cpa_min_price",
  "cpa_also_events",
  "cpa_clawback_days",
  "cpa_tiers",
  "revshare_bps",
  "lot_per_lot",
  "lot_groups",
  "sale_bps",
  "sale_events",
  "sale_refund_days",
  "cap_cpa_count",
  "cap_amount",
  "hold_days",
  "parent_override_bps",
  "effective_from",
  "note",
];

const KIND_LABELS: Record<(typeof QUALIFICATION_KINDS)[number], string> = {
  ftd: "First deposit (iGaming)",
  qualified_trader: "Qualified trader (forex)",
  challenge: "Challenge purchase (prop)",
};

function checkbox(name: string, label: string, values: Values): SafeHtml {
  return html`<label><input type="checkbox" id="plan-${name}" name="${name}" value="1"${values[name] === "1" ? html` checked` : ""}> ${label}</label>`;
}

function components(values: Values, error: FormError | undefined, currency: string): SafeHtml {
  const f = (name: string, label: string, hint?: string, extra = html``) =>
    field("plan", name, label, text(values[name], extra), error, hint);
  /** A qualification's own field: console.js hides it while another kind is chosen. */
  const of = (kinds: string, input: SafeHtml) => html`<div data-kinds="${kinds}">${input}</div>`;
  const money = `In ${currency}, e.g. 75.00.`;
  return html`<fieldset class="component"><legend>${checkbox("cpa_on", "CPA", values)}</legend>
  ${f("cpa_amount", "CPA amount", money, html` inputmode="decimal"`)}
  ${field(
    "plan",
    "cpa_kind",
    "Qualifies on",
    select(
      QUALIFICATION_KINDS.map((k) => [k, KIND_LABELS[k]] as const),
      values["cpa_kind"],
    ),
    error,
  )}
  ${of("ftd qualified_trader", f("cpa_min_deposit", "Minimum deposit", "First deposit (required), or a trader's deposits (optional).", html` inputmode="decimal"`))}
  ${of("ftd", f("cpa_cumulative_hours", "Deposits counted together within (hours)", "First deposit only; empty: the first deposit alone.", html` inputmode="numeric"`))}
  ${of("qualified_trader", f("cpa_min_lots", "Minimum lots", "Qualified trader, e.g. 1 or 0.5.", html` inputmode="decimal"`))}
  ${of("qualified_trader", f("cpa_within_days", "Lots traded within (days of registration)", "Qualified trader.", html` inputmode="numeric"`))}
  ${of("challenge", f("cpa_min_price", "Minimum challenge price", "Challenge purchase.", html` inputmode="decimal"`))}
  ${of("challenge", f("cpa_also_events", "Also qualifying events", "Challenge: e.g. evaluation_pass, funded."))}
  ${f("cpa_clawback_days", "Clawed back if reversed within (days)", undefined, html` inputmode="numeric"`)}
  ${field("plan", "cpa_tiers", "Monthly tiers (optional)", textArea(values["cpa_tiers"], html` rows="3"`), error, "One per line: from the N-th player of a month, the amount: 3 150.00")}
</fieldset>
<fieldset class="component"><legend>${checkbox("revshare_on", "Revenue share", values)}</legend>
  ${f("revshare_bps", "Share of net revenue (basis points)", "2500 = 25 %; at most 10000.", html` inputmode="numeric"`)}
  ${checkbox("revshare_carry", "A negative month carries over into the next", values)}
</fieldset>
<fieldset class="component"><legend>${checkbox("lot_on", "Lot rebate", values)}</legend>
  ${f("lot_per_lot", "Per lot traded", money, html` inputmode="decimal"`)}
  ${field("plan", "lot_groups", "Per instrument group (optional)", textArea(values["lot_groups"], html` rows="2"`), error, "One per line: group and amount, e.g. metals 8.00")}
</fieldset>
<fieldset class="component"><legend>${checkbox("sale_on", "% of sale", values)}</legend>
  ${f("sale_bps", "Share of each sale (basis points)", "1500 = 15 %; at most 10000.", html` inputmode="numeric"`)}
  ${f("sale_events", "Of these events", "e.g. challenge_purchase, challenge_reset")}
  ${f("sale_refund_days", "Taken back on a refund within (days)", undefined, html` inputmode="numeric"`)}
</fieldset>
<fieldset class="component"><legend>Limits and settings</legend>
  ${f("cap_cpa_count", "Cap: paid CPAs per affiliate and month (optional)", undefined, html` inputmode="numeric"`)}
  ${f("cap_amount", "Cap: amount per affiliate and month (optional)", money, html` inputmode="decimal"`)}
  ${f("hold_days", "Hold (days)", "Entries stay pending this long; empty or 0: approved at once.", html` inputmode="numeric"`)}
  ${f("parent_override_bps", "Parent override (basis points, optional)", "The affiliate's parent earns this share on top; 1000 = 10 %.", html` inputmode="numeric"`)}
</fieldset>`;
}

function previewSection(data: PlanEditorData, preview: NonNullable<PlanEditorState["preview"]>): SafeHtml {
  const currency = data.program.currency;
  const merged = data.affiliate ? mergeTerms(preview.plan, preview.terms) : undefined;
  return html`<section class="result preview" aria-labelledby="preview-h">
  <h2 id="preview-h">Preview: nothing saved yet</h2>
  <ul class="words">${describeTerms(preview.terms, currency).map((s) => html`<li>${s}</li>`)}</ul>
  ${
    merged
      ? html`<h3>What ${data.affiliate?.name} earns (the deal over the plan in force then)</h3>
  <ul class="words merged">${describeTerms(merged, currency).map((s) => html`<li>${s}</li>`)}</ul>`
      : ""
  }
</section>`;
}

export function planEditorPage(data: PlanEditorData, viewer: Viewer, state: PlanEditorState): string {
  const { program, affiliate } = data;
  const { values, error } = state;
  const what = affiliate ? `Deal for ${affiliate.name}` : "New plan version";
  return page({
    title: `${what} · ${program.name}`,
    viewer,
    path: `/setup/programs/${program.id}/plans/new`,
    body: html`<p><a href="/setup/programs/${program.id}">← ${program.name}</a></p>
<h1>${what}: ${program.name}</h1>
<p>Starts from ${data.startedFrom}. Saving adds a new version from its effective date; earlier versions and the entries they wrote stay as they are.${affiliate ? " Tick only the components this affiliate gets differently: the others are the plan's." : ""}</p>
${state.preview ? previewSection(data, state.preview) : ""}
<form method="post" action="/setup/programs/${program.id}/plans" class="card plan-editor">${formLevel("plan", error, FIELDS)}
  ${csrfField(viewer.csrf)}
  ${affiliate ? html`<input type="hidden" name="affiliate_id" value="${affiliate.id}">` : ""}
  ${components(values, error, program.currency)}
  ${field("plan", "effective_from", "Effective from (UTC)", text(values["effective_from"], html` required maxlength="40"`), error, "e.g. 2026-12-01T00:00:00Z; a later date schedules the version.")}
  ${field("plan", "note", "Note (optional)", text(values["note"], html` maxlength="500"`), error)}
  <div class="actions"><button type="submit" name="action" value="preview">Preview</button>
  <button type="submit" name="action" value="save">Save new version</button></div>
</form>`,
  });
}
