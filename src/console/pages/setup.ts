/**
 * Set-up in the browser (issue: Console II), for admin keys: operators (the new one's HMAC secret
 * shown once), programs (with the vertical's preset plan in words, or none), affiliates and
 * tracking links; and the recalculation of a program's commissions (preview, then apply).
 * Validation errors appear next to the field they concern, with the API's message.
 */
import type { RecalculationResult } from "../../app/commissions/recalculate-commissions.ts";
import { describeTerms } from "../../domain/commissions/describe-terms.ts";
import { PLAN_PRESETS } from "../../domain/commissions/presets.ts";
import { VERTICALS } from "../../domain/event-types.ts";
import type { Affiliate, Link, Operator, Program } from "../../domain/model.ts";
import { formatMinor, isCurrency } from "../../domain/money.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, select, text, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

export type { FormError } from "../form-fields.ts";

export interface SetupData {
  readonly operators: readonly Operator[];
  readonly programs: readonly (Program & {
    readonly warnings?: readonly { code: string; message: string }[];
  })[];
  readonly affiliates: readonly Affiliate[];
  readonly links: readonly Link[];
}

function operatorForm(viewer: Viewer, values: Values, error: FormError | undefined): SafeHtml {
  return html`<form method="post" action="/setup/operators" class="card">
  <h3>New operator</h3>${formLevel("operator", error, ["name"])}
  ${csrfField(viewer.csrf)}
  ${field("operator", "name", "Name", text(values["name"], html` required maxlength="200"`), error)}
  <p class="hint">An HMAC signing secret is generated and shown once.</p>
  <button type="submit">Create operator</button>
</form>`;
}

function programForm(
  data: SetupData,
  viewer: Viewer,
  values: Values,
  error: FormError | undefined,
): SafeHtml {
  const vertical = values["vertical"] ?? "igaming";
  const currency = (values["currency"] ?? "EUR").toUpperCase();
  const presets = VERTICALS.map(
    (v) =>
      html`<div class="preset" data-vertical="${v}"><strong>${v} preset</strong><ul>${describeTerms(PLAN_PRESETS[v], isCurrency(currency) ? currency : "EUR").map((s) => html`<li>${s}</li>`)}</ul></div>`,
  );
  return html`<form method="post" action="/setup/programs" class="card">
  <h3>New program</h3>${formLevel("program", error, ["operator_id", "name", "vertical", "currency", "landing_url_template", "commission_plan"])}
  ${csrfField(viewer.csrf)}
  ${field(
    "program",
    "operator_id",
    "Operator",
    select(
      data.operators.map((o) => [String(o.id), `${o.name} (${o.id})`] as const),
      values["operator_id"],
    ),
    error,
  )}
  ${field("program", "name", "Name", text(values["name"], html` required maxlength="200"`), error)}
  ${field(
    "program",
    "vertical",
    "Vertical",
    select(
      VERTICALS.map((v) => [v, v] as const),
      vertical,
    ),
    error,
  )}
  ${field("program", "currency", "Currency", text(values["currency"] ?? "EUR", html` required maxlength="3" pattern="[A-Za-z]{3}"`), error, "ISO 4217 code, e.g. EUR, USD.")}
  ${field("program", "landing_url_template", "Landing URL", text(values["landing_url_template"], html` required maxlength="2000"`), error, "Where a click goes; macros such as {click_id} and {sub1} are filled in.")}
  ${field(
    "program",
    "commission_plan",
    "Commission plan",
    select(
      [
        ["preset", "The vertical's preset (below)"],
        ["none", "None for now (earns nothing)"],
      ],
      values["commission_plan"] ?? "preset",
    ),
    error,
  )}
  <details><summary>The presets in words</summary>${presets}</details>
  <button type="submit">Create program</button>
</form>`;
}

function affiliateForm(viewer: Viewer, values: Values, error: FormError | undefined): SafeHtml {
  return html`<form method="post" action="/setup/affiliates" class="card">
  <h3>New affiliate</h3>${formLevel("affiliate", error, ["name", "email"])}
  ${csrfField(viewer.csrf)}
  ${field("affiliate", "name", "Name", text(values["name"], html` required maxlength="200"`), error)}
  ${field("affiliate", "email", "Email (optional)", text(values["email"], html` maxlength="320"`), error)}
  <button type="submit">Create affiliate</button>
</form>`;
}

function linkForm(data: SetupData, viewer: Viewer, values: Values, error: FormError | undefined): SafeHtml {
  return html`<form method="post" action="/setup/links" class="card">
  <h3>New tracking link</h3>${formLevel("link", error, ["affiliate_id", "program_id"])}
  ${csrfField(viewer.csrf)}
  ${field(
    "link",
    "affiliate_id",
    "Affiliate",
    select(
      data.affiliates.map((a) => [String(a.id), `${a.name} (${a.id})`] as const),
      values["affiliate_id"],
    ),
    error,
  )}
  ${field(
    "link",
    "program_id",
    "Program",
    select(
      data.programs.map((p) => [String(p.id), `${p.name} (${p.id})`] as const),
      values["program_id"],
    ),
    error,
  )}
  <button type="submit">Create link</button>
</form>`;
}

function tables(data: SetupData, publicUrl: string, zone: string): SafeHtml {
  const names = new Map(data.operators.map((o) => [o.id, o.name]));
  return html`<div class="table-wrap"><table><caption>Programs</caption>
  <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Operator</th><th scope="col">Vertical</th><th scope="col">Plan</th><th scope="col">Created</th></tr></thead>
  <tbody>${data.programs.map(
    (
      p,
    ) => html`<tr><td class="num">${p.id}</td><td><a href="/setup/programs/${p.id}">${p.name}</a></td><td>${names.get(p.operatorId) ?? p.operatorId}</td><td>${p.vertical} · ${p.currency}</td>
      <td>${p.warnings?.length ? html`<span class="warning">No plan: earns nothing</span> ` : "in force "}<a href="/setup/programs/${p.id}/recalculate">Recalculate</a></td>
      <td>${timeOf(p.createdAt, zone)}</td></tr>`,
  )}</tbody></table></div>
<div class="table-wrap"><table><caption>Tracking links</caption>
  <thead><tr><th scope="col">Tracking URL</th><th scope="col">Affiliate</th><th scope="col">Program</th><th scope="col">Status</th></tr></thead>
  <tbody>${data.links.map(
    (l) =>
      html`<tr><td><code>${publicUrl}/c/${l.code}</code></td><td class="num">${l.affiliateId}</td><td class="num">${l.programId}</td><td><span class="status ${l.status}">${l.status}</span></td></tr>`,
  )}</tbody></table></div>
<div class="table-wrap"><table><caption>Operators</caption>
  <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Postback URL key</th><th scope="col">Status</th><th scope="col">Pages</th></tr></thead>
  <tbody>${data.operators.map(
    (o) =>
      html`<tr><td class="num">${o.id}</td><td><a href="/setup/operators/${o.id}">${o.name}</a></td><td><code>${o.key}</code></td><td><span class="status ${o.status}">${o.status}</span></td>
      <td><a href="/setup/operators/${o.id}">Edit<span class="visually-hidden"> ${o.name}</span></a> · <a href="/operators/${o.id}/integration">Integration<span class="visually-hidden"> of ${o.name}</span></a></td></tr>`,
  )}</tbody></table></div>
<div class="table-wrap"><table><caption>Affiliates</caption>
  <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Status</th></tr></thead>
  <tbody>${data.affiliates.map(
    (a) =>
      html`<tr><td class="num">${a.id}</td><td><a href="/setup/affiliates/${a.id}">${a.name}</a></td><td>${a.email ?? ""}</td><td><span class="status ${a.status}">${a.status}</span></td></tr>`,
  )}</tbody></table></div>`;
}

export function setupPage(
  data: SetupData,
  viewer: Viewer,
  publicUrl: string,
  state: { error?: FormError; values?: Values; created?: SafeHtml } = {},
): string {
  const values = state.values ?? {};
  const error = state.error;
  const valuesOf = (form: FormError["form"]) => (error?.form === form ? values : {});
  return page({
    title: "Set-up",
    viewer,
    path: "/setup",
    body: html`<h1>Set-up</h1>
<p><a href="/setup/fx-rates">FX rates</a> · <a href="/setup/api-keys">API keys</a> · <a href="/endpoints">Outbound endpoints</a></p>
${state.created ?? ""}
<div class="forms">
${operatorForm(viewer, valuesOf("operator"), error)}
${programForm(data, viewer, valuesOf("program"), error)}
${affiliateForm(viewer, valuesOf("affiliate"), error)}
${linkForm(data, viewer, valuesOf("link"), error)}
</div>
${tables(data, publicUrl, viewer.timeZone)}`,
  });
}

/** The new operator's secret: shown on this answer only, with a copy button. */
export function operatorCreated(operator: Operator, secret: string | null): SafeHtml {
  return html`<section class="created" role="status" aria-labelledby="created-h">
  <h2 id="created-h">Operator ${operator.name} created</h2>
  <p>Postback URL key <code>${operator.key}</code>.${secret ? " Its HMAC signing secret is shown this once: store it in the operator's backend now." : ""}</p>
  ${secret ? html`<p><code id="new-secret">${secret}</code> <button type="button" data-copy="new-secret">Copy</button></p>` : ""}
  <p><a href="/setup/operators/${operator.id}">Its settings</a> · <a href="/operators/${operator.id}/integration">Its integration page</a></p>
</section>`;
}

export const createdNotice = (what: string): SafeHtml =>
  html`<section class="created" role="status"><h2>${what}</h2></section>`;

export function recalculationPage(
  program: Program,
  viewer: Viewer,
  state: { values?: Values; error?: FormError; result?: RecalculationResult } = {},
): string {
  const values = state.values ?? {};
  const r = state.result;
  const range = html`${csrfField(viewer.csrf)}
  ${field("recalculation", "from", "From (occurred at, UTC)", text(values["from"], html` required placeholder="2026-11-01T00:00:00Z"`), state.error)}
  ${field("recalculation", "to", "To (excluded)", text(values["to"], html` required placeholder="2026-12-01T00:00:00Z"`), state.error)}
  <div class="field"><label><input type="checkbox" name="include_paid_periods" value="1"${values["include_paid_periods"] ? html` checked` : ""}> Also months already paid out</label></div>
  <div class="field"><label><input type="checkbox" name="mode" value="replan"${values["mode"] === "replan" ? html` checked` : ""}> Also conversions decided under another plan version</label>
  <p class="hint">What remains of their entries is compensated, then they are decided again by the plan in force now. Manual adjustments are never touched.</p></div>`;
  const totals = r
    ? Object.entries(r.totals).flatMap(([currency, byStatus]) =>
        Object.entries(byStatus).map(
          ([status, minor]) => html`<li>${status}: ${formatMinor(minor, currency)} ${currency}</li>`,
        ),
      )
    : [];
  return page({
    title: `Recalculate ${program.name}`,
    viewer,
    path: `/setup/programs/${program.id}/recalculate`,
    body: html`<h1>Recalculate commissions: ${program.name}</h1>
<p>Credits the conversions received while no plan was in force, by the plans in force now; optionally decides again those decided under another plan version (a version added or backdated since). Existing entries are never changed; running it twice changes nothing.</p>
<form method="post" action="/setup/programs/${program.id}/recalculate" class="card">${formLevel("recalculation", state.error, ["from", "to"])}
  ${range}
  <button type="submit" name="action" value="preview">Preview</button>
</form>
${
  r
    ? html`<section class="result" aria-labelledby="result-h">
  <h2 id="result-h">${r.preview ? "Preview: nothing stored yet" : `Applied: recalculation ${r.id}`}</h2>
  <p>${r.conversions} conversions credited, ${r.entries} ledger entries, ${r.messages} outbound messages.${r.replaced ? ` ${r.replaced} decided under another plan version: compensated and decided again.` : ""}${r.skippedPaid ? ` ${r.skippedPaid} left alone in paid months.` : ""}</p>
  <ul>${totals}</ul>
  ${
    r.preview && r.entries
      ? html`<form method="post" action="/setup/programs/${program.id}/recalculate">${csrfField(viewer.csrf)}
    <input type="hidden" name="from" value="${values["from"] ?? ""}"><input type="hidden" name="to" value="${values["to"] ?? ""}">
    ${values["include_paid_periods"] ? html`<input type="hidden" name="include_paid_periods" value="1">` : ""}
    ${values["mode"] === "replan" ? html`<input type="hidden" name="mode" value="replan">` : ""}
    <button type="submit" name="action" value="apply">Apply: write these entries</button></form>`
      : ""
  }
</section>`
    : ""
}`,
  });
}
