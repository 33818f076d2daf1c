/**
 * One affiliate for admins (issue: Console II): its record (edit), its tracking links (each URL
 * with a Copy button, a form to create one, how sub-ids ride on the URL), its outbound endpoints,
 * and the way to its parent (override commissions) page.
 */
import type { Endpoint } from "../../app/delivery/outbox-port.ts";
import { type Affiliate, type Link, type Program, STATUSES } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, namedOptions, select, text, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

export interface AffiliateData {
  readonly affiliate: Affiliate;
  readonly links: readonly Link[];
  readonly programs: readonly Program[];
  /** Undefined when outbound delivery is not configured on this service. */
  readonly endpoints: readonly Endpoint[] | undefined;
}

export interface AffiliateState {
  readonly error?: FormError;
  readonly values?: Values;
  readonly notice?: string;
}

function editForm(a: Affiliate, viewer: Viewer, values: Values, error: FormError | undefined): SafeHtml {
  return html`<form method="post" action="/setup/affiliates/${a.id}" class="card">
  <h2>Details</h2>${formLevel("affiliate", error, ["name", "email", "status"])}
  ${csrfField(viewer.csrf)}
  ${field("affiliate", "name", "Name", text(values["name"] ?? a.name, html` required maxlength="200"`), error)}
  ${field("affiliate", "email", "Email (optional)", text(values["email"] ?? a.email ?? "", html` maxlength="320"`), error)}
  ${field(
    "affiliate",
    "status",
    "Status",
    select(
      STATUSES.map((s) => [s, s] as const),
      values["status"] ?? a.status,
    ),
    error,
  )}
  <button type="submit">Save affiliate</button>
</form>`;
}

/** A tracking URL with its Copy button (the text copied is the element's). */
export function trackingUrl(link: Link, publicUrl: string): SafeHtml {
  const id = `link-url-${link.id}`;
  return html`<code id="${id}">${publicUrl}/c/${link.code}</code> <button type="button" class="copy" data-copy="${id}" aria-label="Copy tracking URL ${link.code}">Copy</button>`;
}

function linksSection(data: AffiliateData, viewer: Viewer, publicUrl: string, state: AffiliateState) {
  const names = new Map(data.programs.map((p) => [p.id, p.name]));
  const values = state.error?.form === "link" ? (state.values ?? {}) : {};
  const rows = data.links.map(
    (
      l,
    ) => html`<tr><td class="url">${trackingUrl(l, publicUrl)}</td><td>${names.get(l.programId) ?? l.programId}</td>
<td><span class="status ${l.status}">${l.status}</span></td><td>${timeOf(l.createdAt, viewer.timeZone)}</td></tr>`,
  );
  return html`<section class="own-section" aria-labelledby="links-h"><h2 id="links-h">Tracking links</h2>
${
  data.links.length
    ? html`<div class="table-wrap"><table class="links"><caption>Links of ${data.affiliate.name}</caption>
<thead><tr><th scope="col">Tracking URL</th><th scope="col">Program</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="empty">No tracking links yet.</p>`
}
<form method="post" action="/setup/affiliates/${data.affiliate.id}/links" class="card">
  <h3>New tracking link</h3>${formLevel("link", state.error, ["program_id"])}
  ${csrfField(viewer.csrf)}
  ${field(
    "link",
    "program_id",
    "Program",
    select(namedOptions(data.programs), values["program_id"]),
    state.error,
  )}
  <button type="submit">Create link</button>
</form>
${subIdHelp(publicUrl)}
</section>`;
}

/** How sub-ids ride on a tracking URL (record-click.ts reads sub1..sub5) and where they show up. */
export function subIdHelp(publicUrl: string): SafeHtml {
  return html`<details class="help" id="sub-id-help"><summary>Sub-ids: tagging your traffic</summary>
<p>Append up to five of your own values to a tracking URL as <code>sub1</code> … <code>sub5</code>:</p>
<p><code>${publicUrl}/c/CODE?sub1=campaign42&amp;sub2=banner-top</code></p>
<ul>
<li>Each value is kept as sent, up to 256 characters; other parameters (including <code>sub_id</code>) are not recorded with the click.</li>
<li>They are stored with the click (the Clicks page shows them), may be passed on to the landing page with the macros <code>{sub1}</code> … <code>{sub5}</code>, and come back in your outbound postbacks through the same macros.</li>
<li><code>sub_id</code> is different: it is the operator's own reference sent with a postback, shown on the conversion.</li>
</ul></details>`;
}

function endpointsSection(data: AffiliateData, viewer: Viewer): SafeHtml {
  if (data.endpoints === undefined) return html``;
  const a = data.affiliate;
  return html`<section class="own-section" aria-labelledby="endpoints-h"><h2 id="endpoints-h">Outbound endpoints</h2>
${
  data.endpoints.length
    ? html`<div class="table-wrap"><table><caption>Where ${a.name}'s postbacks go</caption>
<thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>${data.endpoints.map(
        (
          e,
        ) => html`<tr><td><a href="/endpoints/${e.id}">${e.name}</a></td><td class="url"><code>${e.method} ${e.urlTemplate}</code></td>
<td><span class="status ${e.status}">${e.status}</span></td><td>${timeOf(e.createdAt, viewer.timeZone)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No endpoints yet.</p>`
}
<p><a href="/endpoints?affiliate_id=${a.id}">New endpoint for ${a.name}</a></p>
</section>`;
}

export function affiliatePage(
  data: AffiliateData,
  viewer: Viewer,
  publicUrl: string,
  state: AffiliateState = {},
): string {
  const a = data.affiliate;
  const values = state.error?.form === "affiliate" ? (state.values ?? {}) : {};
  return page({
    title: `Affiliate ${a.name}`,
    viewer,
    path: `/setup/affiliates/${a.id}`,
    body: html`<p class="crumbs"><a href="/setup">Set-up</a> › Affiliate ${a.id}</p>
<h1>${a.name} <span class="status ${a.status}">${a.status}</span></h1>
${state.notice ? html`<section class="created" role="status"><h2>${state.notice}</h2></section>` : ""}
<p>Created ${timeOf(a.createdAt, viewer.timeZone)} · <a href="/setup/affiliates/${a.id}/parent">Parent affiliate (override commissions)</a></p>
<div class="forms">${editForm(a, viewer, values, state.error)}</div>
${linksSection(data, viewer, publicUrl, state)}
${endpointsSection(data, viewer)}`,
  });
}
