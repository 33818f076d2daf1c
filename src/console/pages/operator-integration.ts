/**
 * An operator's Integration page (admin, and that operator's key): the ready postback URL in the
 * operator's macro syntax (GET or POST), both signing recipes with their worked examples, senders
 * in five languages (integration-snippets.ts), the parameters and the mapping in force, the event
 * types of each program with its go-live checklist, and the latest postbacks with their outcome.
 * No secret of the operator is ever shown: the code reads it from $POSTWIRE_SECRET.
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import { programChecklist } from "../../app/admin/go-live-checklist.ts";
import { operatorParamName, operatorValue } from "../../app/admin/mapping.ts";
import { type PostbackTemplate, postbackTemplate } from "../../app/admin/postback-template.ts";
import { listPrograms } from "../../app/admin/programs.ts";
import { searchRequestLog } from "../../app/admin/records.ts";
import { requiredFields } from "../../domain/go-live-checklist.ts";
import { MACRO_SYNTAXES, type MacroSyntax } from "../../domain/macros.ts";
import type { Operator } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { type FormError, select, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { SNIPPET_LABELS, SNIPPET_LANGUAGES, sampleEvent, senderSnippets } from "../integration-snippets.ts";
import { page, type Viewer } from "../layout.ts";
import { mappingForm, mappingValues } from "./operator-edit.ts";
import { entryLink, outcomeBadge } from "./request-parts.ts";

interface IntegrationQuery {
  readonly syntax: MacroSyntax;
  readonly method: "GET" | "POST";
}

export function integrationQuery(query: Record<string, string | undefined>): IntegrationQuery {
  const syntax = (MACRO_SYNTAXES as readonly string[]).includes(query["syntax"] ?? "")
    ? (query["syntax"] as MacroSyntax)
    : "curly";
  return { syntax, method: query["method"] === "POST" ? "POST" : "GET" };
}

/** How many of the operator's latest postbacks the page lists. */
const RECENT = 20;

const SYNTAX_LABELS: Readonly<Record<MacroSyntax, string>> = {
  curly: "{name}",
  square: "[NAME]",
  percent: "%name%",
  double_curly: "{{name}}",
};

/** A block of text with a copy button (console.js data-copy). */
const copyable = (id: string, text: string, label: string): SafeHtml =>
  html`<div class="copyable"><pre><code id="${id}">${text}</code></pre><button type="button" data-copy="${id}" aria-label="Copy ${label}">Copy</button></div>`;

function templateSection(operator: Operator, t: PostbackTemplate): SafeHtml {
  const auth = [
    t.auth.hmac ? "HMAC signature" : "",
    t.auth.ipAllowlist ? "IP allowlist" : "",
    t.auth.staticToken ? "static token" : "",
  ].filter(Boolean);
  return html`<section class="card" aria-labelledby="template-h">
  <h2 id="template-h">Postback URL</h2>
  <form method="get" action="/operators/${operator.id}/integration" class="inline-form">
    <label for="syntax">Macro syntax</label>${select(
      MACRO_SYNTAXES.map((s) => [s, `${s} ${SYNTAX_LABELS[s]}`] as const),
      t.syntax,
    )(html`id="syntax" name="syntax" data-autosubmit`)}
    <label for="method">Method</label>${select(
      [
        ["GET", "GET (query)"],
        ["POST", "POST (JSON body)"],
      ],
      t.method,
    )(html`id="method" name="method" data-autosubmit`)}
    <button type="submit">Show</button>
  </form>
  <p>${t.method} this URL for every event; the back office fills in the placeholders.</p>
  ${copyable("template-url", t.url, "the postback URL")}
  ${t.body === null ? "" : html`<p>Body (JSON):</p>${copyable("template-body", t.body, "the body")}`}
  <p>Checks in force: ${auth.length ? auth.join(", ") : "none"}.</p>
</section>`;
}

function recipe(title: string, id: string, signing: PostbackTemplate["signing"]): SafeHtml {
  const example = signing.example === null ? "" : JSON.stringify(signing.example, null, 2);
  return html`<section class="card" aria-labelledby="${id}-h">
  <h3 id="${id}-h">${title}</h3>
  ${signing.scheme === "none" ? html`<p>This operator does not sign (no HMAC secret).</p>` : ""}
  <ol>${signing.steps.map((s) => html`<li>${s}</li>`)}</ol>
  ${example ? html`<details><summary>Worked example (a published example secret, not yours)</summary><pre class="example"><code>${example}</code></pre></details>` : ""}
</section>`;
}

function parametersTable(t: PostbackTemplate): SafeHtml {
  return html`<div class="table-wrap"><table class="params"><caption>Parameters, in the operator's names</caption>
  <thead><tr><th scope="col">Send as</th><th scope="col">Meaning</th></tr></thead>
  <tbody>${t.parameters.map(
    (
      p,
    ) => html`<tr><td><code>${p.name}</code>${p.name === p.field ? "" : html`<br><span class="hint">for <code>${p.field}</code></span>`}${p.required ? html`<br><strong>required</strong>` : ""}</td>
    <td>${p.description}${
      Object.keys(p.values).length
        ? html`<br>Values translated: ${Object.entries(p.values).map(([theirs, ours]) => html`<code>${theirs}</code> → <code>${ours}</code> `)}`
        : ""
    }</td></tr>`,
  )}</tbody></table></div>`;
}

function snippetsSection(deps: AdminDeps, operator: Operator): SafeHtml {
  const mapping = operator.mapping;
  const snippets = senderSnippets({
    endpoint: `${deps.publicUrl}/v1/postback/${encodeURIComponent(operator.key)}`,
    event: sampleEvent(
      (f) => operatorParamName(mapping, f),
      (f, v) => operatorValue(mapping, f, v),
      "test-1001",
    ),
    txid: "test-1001",
    hmac: operator.auth.hmacSecrets.length > 0,
    staticToken: operator.auth.staticTokenHash !== null,
  });
  return html`<section aria-labelledby="code-h">
  <h2 id="code-h">Code: send a test event</h2>
  <p>Each sends one signed test-mode FTD as a POST (nothing is paid for test events) and prints the answer. Set <code>POSTWIRE_SECRET</code>${operator.auth.staticTokenHash !== null ? html` and <code>POSTWIRE_TOKEN</code>` : ""} in the environment first; for retries see the integration guide's senders (§13).</p>
  ${SNIPPET_LANGUAGES.map(
    (l, i) =>
      html`<details class="snippet"${i === 0 ? html` open` : ""}><summary>${SNIPPET_LABELS[l]}</summary>${copyable(`snippet-${l}`, snippets[l], `the ${l} code`)}</details>`,
  )}
</section>`;
}

async function programsSection(deps: AdminDeps, viewer: Viewer, operator: Operator): Promise<SafeHtml> {
  const programs = await listPrograms(deps, viewer.principal, { limit: 100, operatorId: operator.id });
  const name = (f: string) => operatorParamName(operator.mapping, f);
  const cards = await Promise.all(
    programs.map(async (p) => {
      const list = await programChecklist(deps, viewer.principal, p.id);
      return html`<section class="card" aria-labelledby="program-${p.id}-h">
  <h3 id="program-${p.id}-h"><a href="/programs/${p.id}">${p.name}</a> <span class="status ${list.ready ? "active" : "paused"}">${list.ready ? "ready to go live" : `${list.missing.length} checks to go`}</span></h3>
  <p>Events and the fields each needs (besides <code>${name("click_id")}</code> or <code>${name("player_id")}</code>):</p>
  <ul class="events">${p.allowedEvents.map(
    (e) =>
      html`<li><code>${operatorValue(operator.mapping, "event", e)}</code>: ${requiredFields(e)
        .map(name)
        .join(", ")}</li>`,
  )}</ul>
  <details><summary>Go-live checklist</summary><ul class="checklist">${list.items.map(
    (item) =>
      html`<li><span class="status check-${item.state}">${item.state.replace("_", " ")}</span> ${item.title}${item.evidence ? html` (<a href="/requests/${encodeURIComponent(item.evidence.requestLogId)}">evidence</a>)` : html` <span class="hint">${item.hint}</span>`}</li>`,
  )}</ul></details>
</section>`;
    }),
  );
  return html`<section aria-labelledby="programs-h"><h2 id="programs-h">Programs</h2>${
    cards.length ? cards : html`<p>No program yet.</p>`
  }</section>`;
}

async function recentSection(deps: AdminDeps, viewer: Viewer, operator: Operator): Promise<SafeHtml> {
  const rows = await searchRequestLog(deps, viewer.principal, { operatorId: operator.id, limit: RECENT });
  return html`<div class="table-wrap"><table><caption>Latest postbacks</caption>
  <thead><tr><th scope="col">Received</th><th scope="col">Outcome</th><th scope="col">Code</th><th scope="col">txid</th><th scope="col"></th></tr></thead>
  <tbody>${
    rows.length
      ? rows.map(
          (r) =>
            html`<tr><td>${timeOf(r.receivedAt, viewer.timeZone)}</td><td>${outcomeBadge(r.outcome)}</td><td>${r.status} <code>${r.code}</code></td><td>${r.txid ?? ""}</td><td>${entryLink(r)}</td></tr>`,
        )
      : html`<tr><td colspan="5">None yet.</td></tr>`
  }</tbody></table></div>`;
}

/** The mapping form's refusal or the notice after saving it. */
interface IntegrationState {
  readonly error?: FormError;
  readonly values?: Values;
  readonly notice?: string;
}

/** The mapping in force, editable here by the operator's own key too (replaceMapping allows it). */
function mappingSection(operator: Operator, viewer: Viewer, state: IntegrationState): SafeHtml {
  const values = state.error ? (state.values ?? {}) : mappingValues(operator);
  return html`<details class="mapping-edit"${state.error ? html` open` : ""}><summary>Change the parameter and value mapping</summary>
${mappingForm(`/operators/${operator.id}/mapping`, viewer, values, state.error)}</details>`;
}

export async function integrationPage(
  deps: AdminDeps,
  viewer: Viewer,
  operator: Operator,
  query: IntegrationQuery,
  state: IntegrationState = {},
): Promise<string> {
  const p = viewer.principal;
  const shown = await postbackTemplate(deps, p, operator.id, query.syntax, query.method);
  const get = await postbackTemplate(deps, p, operator.id, query.syntax, "GET");
  const post = await postbackTemplate(deps, p, operator.id, query.syntax, "POST");
  const admin = p.role === "admin";
  return page({
    title: `Integration: ${operator.name}`,
    viewer,
    path: `/operators/${operator.id}/integration`,
    body: html`${admin ? html`<p class="crumbs"><a href="/setup">Set-up</a> › <a href="/setup/operators/${operator.id}">operator ${operator.id}</a></p>` : ""}
<h1>Integration: ${operator.name}</h1>
${state.notice ? html`<section class="created" role="status"><h2>${state.notice}</h2></section>` : ""}
<p>For the operator's developers: where to send events, how to sign them, and code that does it. The full contract is in the integration guide.</p>
${templateSection(operator, shown)}
<h2>Signing</h2>
<div class="forms">
${recipe("Signed GET: ts and sig in the query", "recipe-get", get.signing)}
${recipe("Signed POST: Standard Webhooks headers", "recipe-post", post.signing)}
</div>
${snippetsSection(deps, operator)}
${parametersTable(shown)}
${mappingSection(operator, viewer, state)}
${await programsSection(deps, viewer, operator)}
${await recentSection(deps, viewer, operator)}`,
  });
}
