/**
 * One operator's set-up page (admin): its settings (name, key, status, IP allowlist, trusted
 * proxies), the parameter and value mapping as one row per contract field, its HMAC secrets by
 * fingerprint (issue one, retire one) and the static token. A new secret or token is shown on the
 * answer that made it, once, with a copy button; never again.
 */
import { type AuthView, describeAuth } from "../../app/admin/operators.ts";
import type { Operator } from "../../domain/model.ts";
import { STATUSES } from "../../domain/model.ts";
import { CONTRACT_FIELDS } from "../../domain/postback-params.ts";
import { type FormError, field, formLevel, select, text, textArea, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

/** What the page shows once: a secret or token just made, or a notice. */
export type Shown =
  | { readonly kind: "secret"; readonly value: string }
  | { readonly kind: "token"; readonly value: string }
  | { readonly kind: "notice"; readonly text: string };

interface OperatorEditState {
  readonly error?: FormError;
  readonly values?: Values;
  readonly shown?: Shown;
}

const lines = (items: readonly string[]): string => items.join("\n");

/** The mapping as the form shows it: per contract field, the operator's name and `yours=ours` lines. */
export function mappingValues(operator: Operator): Values {
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(operator.mapping.params)) out[`param_${to}`] = from;
  for (const [target, map] of Object.entries(operator.mapping.values))
    out[`values_${target}`] = lines(Object.entries(map).map(([yours, ours]) => `${yours}=${ours}`));
  return out;
}

function settingsForm(operator: Operator, viewer: Viewer, values: Values, error?: FormError): SafeHtml {
  const v = (name: string, stored: string) => values[name] ?? stored;
  const id = operator.id;
  return html`<form method="post" action="/setup/operators/${id}" class="card">
  <h2>Settings</h2>${formLevel("settings", error, ["name", "key", "status", "ip_allowlist", "trusted_proxies"])}
  ${csrfField(viewer.csrf)}
  ${field("settings", "name", "Name", text(v("name", operator.name), html` required maxlength="200"`), error)}
  ${field("settings", "key", "Postback URL key", text(v("key", operator.key), html` required maxlength="64"`), error, "Letters, digits, - and _ (3-64). Changing it changes the operator's postback URL.")}
  ${field(
    "settings",
    "status",
    "Status",
    select(
      STATUSES.map((s) => [s, s] as const),
      v("status", operator.status),
    ),
    error,
  )}
  ${field("settings", "ip_allowlist", "IP allowlist", textArea(v("ip_allowlist", lines(operator.auth.ipAllowlist)), html` rows="3"`), error, "One CIDR or address per line; empty: any address.")}
  ${field("settings", "trusted_proxies", "Trusted proxies", textArea(v("trusted_proxies", lines(operator.auth.trustedProxies)), html` rows="2"`), error, "Your own load balancers, one per line: X-Forwarded-For is read past these only.")}
  <button type="submit">Save settings</button>
</form>`;
}

/** The mapping form, posted to `action` (the set-up page's, or the Integration page's for operator keys). */
export function mappingForm(action: string, viewer: Viewer, values: Values, error?: FormError): SafeHtml {
  const names = CONTRACT_FIELDS.flatMap((f) => [`param_${f}`, `values_${f}`]);
  return html`<form method="post" action="${action}" class="card mapping">
  <h2>Parameter and value mapping</h2>${formLevel("mapping", error, names)}
  <p class="hint">Per field of the contract: the name the operator's back office sends (empty: the field's own name), and its own values translated, one <code>theirs=ours</code> per line (e.g. <code>dep=ftd</code>).</p>
  ${csrfField(viewer.csrf)}
  ${CONTRACT_FIELDS.map(
    (f) => html`<fieldset class="mapping-row"><legend><code>${f}</code></legend>
    ${field("mapping", `param_${f}`, "Their parameter name", text(values[`param_${f}`], html` maxlength="64" placeholder="${f}"`), error)}
    ${field("mapping", `values_${f}`, "Their values", textArea(values[`values_${f}`], html` rows="1"`), error)}
  </fieldset>`,
  )}
  <button type="submit" class="save">Save mapping</button>
</form>`;
}

function secretsCard(operator: Operator, viewer: Viewer, auth: AuthView, error?: FormError): SafeHtml {
  const id = operator.id;
  const newest = auth.hmacSecrets.length - 1;
  return html`<section class="card" aria-labelledby="secrets-h">
  <h2 id="secrets-h">HMAC signing secrets</h2>${formLevel("secrets", error, [])}
  <p class="hint">Two may be live at once: issue a new one, let the operator switch to it, then retire the old one. Secrets are shown by fingerprint (first 16 hex digits of their SHA-256) only.</p>
  ${
    auth.hmacSecrets.length
      ? html`<ul class="secrets">${auth.hmacSecrets.map(
          (
            s,
          ) => html`<li><code class="fingerprint">${s.fingerprint}</code> <span class="hint">position ${s.position}${s.position === newest ? " (newest)" : ""}</span>
      <form method="post" action="/setup/operators/${id}/secrets/retire" class="inline">${csrfField(viewer.csrf)}<input type="hidden" name="fingerprint" value="${s.fingerprint}"><button type="submit" aria-label="Retire secret ${s.fingerprint}">Retire</button></form></li>`,
        )}</ul>`
      : html`<p>No secret: requests are not signed.</p>`
  }
  <form method="post" action="/setup/operators/${id}/secrets">${csrfField(viewer.csrf)}<button type="submit">Issue a new secret</button></form>
</section>`;
}

function tokenCard(operator: Operator, viewer: Viewer, auth: AuthView, error?: FormError): SafeHtml {
  const id = operator.id;
  return html`<section class="card" aria-labelledby="token-h">
  <h2 id="token-h">Static token</h2>${formLevel("token", error, [])}
  <p>${auth.staticToken ? "A static token is set." : "No static token."} <span class="hint">Only with an IP allowlist, for back offices that cannot sign.</span></p>
  <form method="post" action="/setup/operators/${id}/token" class="inline">${csrfField(viewer.csrf)}<button type="submit">${auth.staticToken ? "Replace the static token" : "Issue a static token"}</button></form>
  ${auth.staticToken ? html`<form method="post" action="/setup/operators/${id}/token/remove" class="inline">${csrfField(viewer.csrf)}<button type="submit">Remove the static token</button></form>` : ""}
</section>`;
}

function shownOnce(shown: Shown | undefined): SafeHtml | string {
  if (!shown) return "";
  if (shown.kind === "notice")
    return html`<section class="created" role="status"><h2>${shown.text}</h2></section>`;
  const what = shown.kind === "secret" ? "HMAC signing secret" : "static token";
  return html`<section class="created" role="status" aria-labelledby="created-h">
  <h2 id="created-h">New ${what}</h2>
  <p>Shown this once: give it to the operator's back office now. It cannot be shown again.</p>
  <p><code id="new-secret">${shown.value}</code> <button type="button" data-copy="new-secret">Copy</button></p>
</section>`;
}

export function operatorEditPage(operator: Operator, viewer: Viewer, state: OperatorEditState = {}): string {
  const { error, shown } = state;
  const auth = describeAuth(operator.auth);
  const valuesOf = (form: string) => (error?.form === form ? (state.values ?? {}) : {});
  const mapping = error?.form === "mapping" ? (state.values ?? {}) : mappingValues(operator);
  return page({
    title: `Operator ${operator.name}`,
    viewer,
    path: `/setup/operators/${operator.id}`,
    body: html`<p class="crumbs"><a href="/setup">Set-up</a> › operator ${operator.id}</p>
<h1>Operator ${operator.name}</h1>
<p><a href="/operators/${operator.id}/integration">Integration page</a>: the postback URL, signing and code for the operator's developers.</p>
${shownOnce(shown)}
<div class="forms">
${settingsForm(operator, viewer, valuesOf("settings"), error)}
${secretsCard(operator, viewer, auth, error)}
${tokenCard(operator, viewer, auth, error)}
</div>
${mappingForm(`/setup/operators/${operator.id}/mapping`, viewer, mapping, error)}`,
  });
}
