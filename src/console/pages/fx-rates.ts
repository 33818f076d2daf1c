/**
 * FX rates (issue: Console II), for admin keys: every effective-dated rate and a form to add one.
 * Rates convert events in another currency into the program currency when commissions are written.
 */
import type { RateVersion } from "../../app/commissions/ledger-port.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, text, type Values } from "../form-fields.ts";
import { html } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

export function fxRatesPage(
  rates: readonly (RateVersion & { id: number })[],
  viewer: Viewer,
  state: { values?: Values; error?: FormError; saved?: boolean } = {},
): string {
  const values = state.values ?? {};
  const error = state.error;
  const sorted = [...rates].sort(
    (a, b) =>
      a.base.localeCompare(b.base) || a.quote.localeCompare(b.quote) || b.effectiveFrom - a.effectiveFrom,
  );
  return page({
    title: "FX rates",
    viewer,
    path: "/setup/fx-rates",
    body: html`<p><a href="/setup">← Set-up</a></p>
<h1>FX rates</h1>
<p>An event in another currency than its program's (revenue in USD for a EUR program) is converted with the rate in force at the event's time: quote units per 1 base unit. The entry stores the rate it used (<code>fx_rate</code>). Without a rate in force the entry is written at 0 with the reason <code>no_fx_rate</code>. A new rate applies from its date on and never rewrites earlier entries.</p>
${state.saved ? html`<section class="created" role="status"><h2>Rate added.</h2></section>` : ""}
<form method="post" action="/setup/fx-rates" class="card">
  <h2>New rate</h2>${formLevel("rate", error, ["base", "quote", "rate", "effective_from"])}
  ${csrfField(viewer.csrf)}
  <div class="field-row">
  ${field("rate", "base", "Base", text(values["base"], html` required maxlength="3"`), error, "e.g. USD")}
  ${field("rate", "quote", "Quote", text(values["quote"], html` required maxlength="3"`), error, "e.g. EUR")}
  ${field("rate", "rate", "Rate", text(values["rate"], html` required maxlength="40" inputmode="decimal"`), error, "Quote units per 1 base unit, e.g. 0.92")}
  </div>
  ${field("rate", "effective_from", "Effective from (UTC, optional)", text(values["effective_from"], html` maxlength="40"`), error, "Empty: from now. e.g. 2026-12-01T00:00:00Z")}
  <button type="submit">Add rate</button>
</form>
<div class="table-wrap"><table><caption>Rates</caption>
  <thead><tr><th scope="col">Base</th><th scope="col">Quote</th><th scope="col">Rate</th><th scope="col">In force from</th></tr></thead>
  <tbody>${sorted.map(
    (r) =>
      html`<tr><td>${r.base}</td><td>${r.quote}</td><td class="num">${r.rate}</td><td>${timeOf(r.effectiveFrom, viewer.timeZone)}</td></tr>`,
  )}</tbody></table></div>
${rates.length ? "" : html`<p class="muted">No rate yet: conversions in another currency than their program's earn 0.</p>`}`,
  });
}
