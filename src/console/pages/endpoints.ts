/**
 * Outbound endpoints in the console (issue: Console II): the list with a form to add one, and one
 * endpoint with its settings (edit), its signing secret (rotate: the new one shown once), "send
 * test" with the full result (the request sent, the answer's status, latency, body excerpt, error
 * code), and its recent deliveries with a replay button for the failed and dead ones. Admin keys
 * see every affiliate's; an affiliate key its own (the use cases scope, as in the API).
 */
import type { TestResult } from "../../app/delivery/endpoints.ts";
import { OUTBOUND_MACROS } from "../../app/delivery/outbound-message.ts";
import {
  DEFAULT_FIRE_STATUSES,
  type Delivery,
  ENDPOINT_METHODS,
  ENDPOINT_STATUSES,
  type Endpoint,
  FIRE_STATUSES,
} from "../../app/delivery/outbox-port.ts";
import type { Affiliate } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, namedOptions, select, text, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

/** The fields of the endpoint form, as the API names them. */
const ENDPOINT_FIELDS = [
  "affiliate_id",
  "name",
  "url_template",
  "method",
  "events",
  "program_ids",
  "statuses",
  "delay_seconds",
  "include_test",
  "status",
] as const;

/** A form's values; `statuses` holds the ticked statuses joined by commas. */
export type EndpointValues = Values;

/** The form's values of an endpoint as stored. */
export function valuesOf(e: Endpoint): EndpointValues {
  return {
    name: e.name,
    url_template: e.urlTemplate,
    method: e.method,
    events: e.events.join(", "),
    program_ids: e.programIds.join(", "),
    delay_seconds: String(e.delaySeconds),
    include_test: e.includeTest ? "1" : undefined,
    status: e.status,
    statuses: e.statuses.join(","),
  };
}

function settingsFields(values: EndpointValues, error: FormError | undefined, form: string): SafeHtml {
  const statuses = (values["statuses"] ?? DEFAULT_FIRE_STATUSES.join(",")).split(",");
  const wrongStatuses = error?.form === form && error.field === "statuses";
  return html`${field(form, "name", "Name", text(values["name"], html` maxlength="200"`), error)}
  ${field(form, "url_template", "URL template", text(values["url_template"], html` required maxlength="2000" class="wide"`), error, `An absolute http(s) URL; macros: ${OUTBOUND_MACROS.map((m) => `{${m}}`).join(" ")}`)}
  ${field(
    form,
    "method",
    "Method",
    select(
      ENDPOINT_METHODS.map(
        (m) => [m, m === "POST" ? "POST (JSON body, signed)" : "GET (values in the URL)"] as const,
      ),
      values["method"] ?? "GET",
    ),
    error,
  )}
  ${field(form, "events", "Events (optional)", text(values["events"], html` maxlength="2000"`), error, "Event types that fire, separated by commas (ftd, registration…); empty: every event.")}
  ${field(form, "program_ids", "Program ids (optional)", text(values["program_ids"], html` maxlength="2000"`), error, "Separated by commas; empty: every program.")}
  <fieldset class="field"${wrongStatuses ? html` aria-describedby="${form}-statuses-error"` : ""}><legend>Fires when a conversion is</legend>
  ${FIRE_STATUSES.map(
    (s) =>
      html`<label class="check"><input type="checkbox" name="statuses" value="${s}"${statuses.includes(s) ? html` checked` : ""}> ${s}</label>`,
  )}
  ${wrongStatuses ? html`<p class="error" id="${form}-statuses-error">${error.message}</p>` : ""}</fieldset>
  ${field(form, "delay_seconds", "Delay (seconds)", text(values["delay_seconds"] ?? "0", html` inputmode="numeric" maxlength="5"`), error, "Up to 86400.")}
  <div class="field"><label><input type="checkbox" name="include_test" value="1"${values["include_test"] ? html` checked` : ""}> Send test-mode conversions too</label></div>
  ${field(
    form,
    "status",
    "Status",
    select(
      ENDPOINT_STATUSES.map((s) => [s, s] as const),
      values["status"] ?? "active",
    ),
    error,
    "Setting a disabled endpoint active re-enables it.",
  )}`;
}

function createForm(
  viewer: Viewer,
  affiliates: readonly Affiliate[] | undefined,
  values: EndpointValues,
  error: FormError | undefined,
): SafeHtml {
  const owner = affiliates
    ? field(
        "endpoint",
        "affiliate_id",
        "Affiliate",
        select(namedOptions(affiliates), values["affiliate_id"]),
        error,
      )
    : "";
  return html`<form method="post" action="/endpoints" class="card endpoint-form">
  <h2>New endpoint</h2>${formLevel("endpoint", error, ENDPOINT_FIELDS)}
  ${csrfField(viewer.csrf)}${owner}
  ${settingsFields(values, error, "endpoint")}
  <p class="hint">A signing secret is generated and shown once.</p>
  <button type="submit">Create endpoint</button>
</form>`;
}

function endpointsTable(endpoints: readonly Endpoint[], zone: string, showOwner: boolean): SafeHtml {
  if (!endpoints.length) return html`<p class="empty">No endpoints yet.</p>`;
  return html`<div class="table-wrap"><table><caption>Endpoints</caption>
<thead><tr><th scope="col">Name</th>${showOwner ? html`<th scope="col">Affiliate</th>` : ""}<th scope="col">URL</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>${endpoints.map(
    (
      e,
    ) => html`<tr><td><a href="/endpoints/${e.id}">${e.name}</a></td>${showOwner ? html`<td class="num"><a href="/setup/affiliates/${e.affiliateId}">${e.affiliateId}</a></td>` : ""}
<td class="url"><code>${e.method} ${e.urlTemplate}</code></td><td><span class="status ${e.status}">${e.status}</span></td><td>${timeOf(e.createdAt, zone)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function endpointsPage(
  endpoints: readonly Endpoint[],
  viewer: Viewer,
  state: { affiliates?: readonly Affiliate[]; values?: EndpointValues; error?: FormError } = {},
): string {
  const admin = viewer.principal.role === "admin";
  return page({
    title: "Endpoints",
    viewer,
    path: "/endpoints",
    body: html`<h1>Outbound endpoints</h1>
<p>Where postbacks are sent when a conversion is recorded, approved, reversed or adjusted.</p>
${endpointsTable(endpoints, viewer.timeZone, admin)}
<div class="forms">${createForm(viewer, state.affiliates, state.values ?? {}, state.error)}</div>`,
  });
}

/** What happened to a "send test": the request sent and the answer, as POST /v1/endpoints/{id}/test says. */
function testResult(t: TestResult): SafeHtml {
  const r = t.result;
  const headers = Object.entries(t.request.headers).map(([k, v]) => `${k}: ${v}`);
  return html`<section class="result test-result" aria-labelledby="test-h" role="status">
<h2 id="test-h">Test ${r.ok ? "delivered" : "failed"}</h2>
<dl class="facts">
<dt>Status</dt><dd id="test-status">${r.status === null ? "no answer" : `HTTP ${r.status}`}</dd>
<dt>Latency</dt><dd>${Math.round(r.latencyMs)} ms</dd>
${r.error ? html`<dt>Error</dt><dd><code id="test-error">${r.error}</code>${r.detail ? html` · ${r.detail}` : ""}</dd>` : ""}
</dl>
<h3>Request sent</h3>
<pre class="raw" id="test-request">${t.request.method} ${t.request.url}
${headers.join("\n")}${t.request.body === undefined ? "" : `\n\n${t.request.body}`}</pre>
<h3>Response body (first bytes)</h3>
<pre class="raw" id="test-response">${r.responseSnippet || "(empty)"}</pre>
</section>`;
}

function secretShown(secret: string, rotated: boolean): SafeHtml {
  return html`<section class="created" role="status" aria-labelledby="secret-h">
<h2 id="secret-h">${rotated ? "Signing secret rotated" : "Endpoint created"}</h2>
<p>Its signing secret is shown this once: store it where the receiver checks signatures.</p>
<p><code id="new-secret">${secret}</code> <button type="button" data-copy="new-secret">Copy</button></p>
</section>`;
}

function deliveryRows(rows: readonly Delivery[], viewer: Viewer, returnTo: string): SafeHtml {
  if (!rows.length) return html`<p class="empty">No deliveries yet.</p>`;
  const zone = viewer.timeZone;
  // Failed: dead, or tried and not delivered yet (a replay sends it now).
  const replayable = (d: Delivery) => d.state === "dead" || (d.state !== "delivered" && d.attempts > 0);
  return html`<div class="table-wrap"><table class="deliveries"><caption>Recent deliveries (times in ${zone})</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Conversion</th><th scope="col">Status</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last result</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Replay</span></th></tr></thead>
<tbody>${rows.map(
    (
      d,
    ) => html`<tr><td><code>${d.id}</code></td><td><a href="/conversions/${encodeURIComponent(d.conversionId)}">${d.conversionId}</a></td><td>${d.status}</td>
<td><span class="status state-${d.state}">${d.state}</span></td><td class="num">${d.attempts}</td>
<td class="reason">${d.lastError ?? (d.lastStatus === null ? "" : `HTTP ${d.lastStatus}`)}</td><td>${timeOf(d.createdAt, zone)}</td>
<td>${
      replayable(d)
        ? html`<form method="post" action="/deliveries/${encodeURIComponent(d.id)}/replay" class="inline">${csrfField(viewer.csrf)}<input type="hidden" name="return_to" value="${returnTo}"><button type="submit" aria-label="Replay delivery ${d.id}">Replay</button></form>`
        : ""
    }</td></tr>`,
  )}</tbody></table></div>`;
}

export interface EndpointState {
  readonly values?: EndpointValues;
  readonly error?: FormError;
  readonly secret?: { readonly value: string; readonly rotated: boolean };
  readonly test?: TestResult;
  readonly flash?: string;
}

export function endpointPage(
  endpoint: Endpoint,
  deliveries: readonly Delivery[],
  viewer: Viewer,
  state: EndpointState = {},
): string {
  const e = endpoint;
  const path = `/endpoints/${e.id}`;
  const values = state.error?.form === "settings" ? (state.values ?? valuesOf(e)) : valuesOf(e);
  return page({
    title: `Endpoint ${e.name}`,
    viewer,
    path,
    body: html`<p class="crumbs"><a href="/endpoints">Endpoints</a> › ${e.id}</p>
<h1>${e.name} <span class="status ${e.status}">${e.status}</span></h1>
${state.secret ? secretShown(state.secret.value, state.secret.rotated) : ""}
${state.flash ? html`<p class="flash" role="status">${state.flash}</p>` : ""}
<p>Affiliate ${viewer.principal.role === "admin" ? html`<a href="/setup/affiliates/${e.affiliateId}">${e.affiliateId}</a>` : e.affiliateId} · created ${timeOf(e.createdAt, viewer.timeZone)}${e.disabledReason ? html` · <strong>disabled</strong>: ${e.disabledReason}` : ""}${e.consecutiveFailures ? html` · ${e.consecutiveFailures} failures in a row` : ""}</p>
<div class="actions">
<form method="post" action="${path}/test" class="inline">${csrfField(viewer.csrf)}<button type="submit">Send test</button></form>
<form method="post" action="${path}/rotate-secret" class="inline">${csrfField(viewer.csrf)}<button type="submit">Rotate signing secret</button></form>
</div>
<p class="hint">A test sends a sample message now (not stored, not retried). After a rotation the old secret keeps signing for a grace period${e.previousSecretExpiresAt ? html` (until ${timeOf(e.previousSecretExpiresAt, viewer.timeZone)})` : ""}.</p>
${state.test ? testResult(state.test) : ""}
<div class="forms"><form method="post" action="${path}" class="card endpoint-form">
  <h2>Settings</h2>${formLevel("settings", state.error, ENDPOINT_FIELDS)}
  ${csrfField(viewer.csrf)}
  ${settingsFields(values, state.error, "settings")}
  <button type="submit">Save endpoint</button>
</form></div>
<section class="own-section" aria-labelledby="deliveries-h"><h2 id="deliveries-h">Deliveries</h2>${deliveryRows(deliveries, viewer, path)}</section>`,
  });
}
