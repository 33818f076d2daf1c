/**
 * API keys (admin): the list (name, role, owner, prefix, created, last used, revoked), a form to
 * create one (its key shown on that answer only, with Copy) and a revoke button per live key.
 */
import { type Affiliate, type ApiKey, type Operator, ROLES } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { type FormError, field, formLevel, namedOptions, select, text, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

export interface ApiKeysData {
  readonly keys: readonly ApiKey[];
  readonly operators: readonly Operator[];
  readonly affiliates: readonly Affiliate[];
}

export interface ApiKeysState {
  readonly values?: Values;
  readonly error?: FormError;
  readonly created?: { readonly key: ApiKey; readonly secret: string };
  readonly notice?: string;
}

const NONE = [["", "None"]] as const;

function createForm(data: ApiKeysData, viewer: Viewer, values: Values, error: FormError | undefined) {
  return html`<form method="post" action="/setup/api-keys" class="card">
  <h2>New API key</h2>${formLevel("key", error, ["name", "role", "operator_id", "affiliate_id"])}
  ${csrfField(viewer.csrf)}
  ${field("key", "name", "Name", text(values["name"], html` required maxlength="200"`), error, "Who or what uses it, e.g. “finance export”.")}
  ${field(
    "key",
    "role",
    "Role",
    select(
      ROLES.map((r) => [r, r] as const),
      values["role"] ?? "affiliate",
    ),
    error,
    "An operator key needs its operator; an affiliate key its affiliate; an admin key neither.",
  )}
  ${field(
    "key",
    "operator_id",
    "Operator (operator keys)",
    select([...NONE, ...namedOptions(data.operators)], values["operator_id"]),
    error,
  )}
  ${field(
    "key",
    "affiliate_id",
    "Affiliate (affiliate keys)",
    select([...NONE, ...namedOptions(data.affiliates)], values["affiliate_id"]),
    error,
  )}
  <p class="hint">The key is shown once, on the next page; only its prefix is kept in view.</p>
  <button type="submit">Create key</button>
</form>`;
}

function ownerOf(key: ApiKey, data: ApiKeysData): SafeHtml | string {
  if (key.operatorId !== null) {
    const name = data.operators.find((o) => o.id === key.operatorId)?.name;
    return `operator ${name ?? ""} (${key.operatorId})`;
  }
  if (key.affiliateId !== null) {
    const name = data.affiliates.find((a) => a.id === key.affiliateId)?.name;
    return html`<a href="/setup/affiliates/${key.affiliateId}">affiliate ${name ?? ""} (${key.affiliateId})</a>`;
  }
  return "";
}

function keysTable(data: ApiKeysData, viewer: Viewer): SafeHtml {
  const zone = viewer.timeZone;
  return html`<div class="table-wrap"><table class="keys"><caption>API keys (times in ${zone})</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Owner</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Revoked</th></tr></thead>
<tbody>${data.keys.map(
    (
      k,
    ) => html`<tr id="key-${k.id}"><td>${k.name}${k.id === viewer.principal.keyId ? html` <span class="muted">(this session)</span>` : ""}</td><td>${k.role}</td><td>${ownerOf(k, data)}</td>
<td><code>${k.prefix}…</code></td><td>${timeOf(k.createdAt, zone)}</td><td>${timeOf(k.lastUsedAt, zone)}</td>
<td>${
      k.revokedAt === null
        ? html`<form method="post" action="/setup/api-keys/${k.id}/revoke" class="inline">${csrfField(viewer.csrf)}<button type="submit" aria-label="Revoke key ${k.name} (${k.prefix})">Revoke</button></form>`
        : timeOf(k.revokedAt, zone)
    }</td></tr>`,
  )}</tbody></table></div>`;
}

function created(c: NonNullable<ApiKeysState["created"]>): SafeHtml {
  return html`<section class="created" role="status" aria-labelledby="created-h">
<h2 id="created-h">Key ${c.key.name} created (${c.key.role})</h2>
<p>The key is shown this once: copy it now and hand it over safely. It signs in to this console and calls the API.</p>
<p><code id="new-key">${c.secret}</code> <button type="button" data-copy="new-key">Copy</button></p>
</section>`;
}

export function apiKeysPage(data: ApiKeysData, viewer: Viewer, state: ApiKeysState = {}): string {
  const values = state.error?.form === "key" ? (state.values ?? {}) : {};
  return page({
    title: "API keys",
    viewer,
    path: "/setup/api-keys",
    body: html`<p class="crumbs"><a href="/setup">Set-up</a> › API keys</p>
<h1>API keys</h1>
${state.created ? created(state.created) : ""}
${state.notice ? html`<p class="flash" role="status">${state.notice}</p>` : ""}
${state.error?.form === "revoke" ? html`<p class="error" role="alert">${state.error.message}</p>` : ""}
<p>Revoking a key ends it at once: its next API call answers 401 and its console sessions are signed out.</p>
${keysTable(data, viewer)}
<div class="forms">${createForm(data, viewer, values, state.error)}</div>`,
  });
}
