/** The console's page frame: head, header with navigation and the signed-in key, footer with the time zone. */
import type { Principal } from "../domain/model.ts";
import { html, type SafeHtml } from "./html.ts";
import { timeZones } from "./time-zones.ts";

/** What every signed-in page shows of its viewer. */
export interface Viewer {
  readonly principal: Principal;
  readonly keyName: string;
  /** The session's CSRF token, for the forms of the page. */
  readonly csrf: string;
  readonly timeZone: string;
}

interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Signed in: header with navigation and sign-out; else a bare frame (sign-in). */
  readonly viewer?: Viewer;
  /** The path of the page, for the time-zone form's return. */
  readonly path?: string;
  /** Draws charts: loads uPlot and /assets/charts.js. */
  readonly charts?: boolean;
}

/** The pages of the navigation, as each role names them. */
function navOf(p: Principal): ReadonlyArray<readonly [string, string]> {
  if (p.role === "affiliate")
    return [
      ["/", "Links"],
      ["/clicks", "Clicks"],
      ["/conversions", "Conversions"],
      ["/commissions", "Commissions"],
      ["/endpoints", "Endpoints"],
      ["/reports", "Reports"],
    ];
  return [
    ["/", "Overview"],
    ["/requests", "Requests"],
    ["/conversions", "Conversions"],
    ["/reports", "Reports"],
    ["/alerts", "Alerts"],
    ["/reconciliations", "Reconcile"],
    ...(p.role === "admin" ? [["/setup", "Set-up"] as const] : []),
    ...(p.role === "operator" ? [[`/operators/${p.operatorId}/integration`, "Integration"] as const] : []),
  ];
}

function roleLabel(p: Principal): string {
  if (p.role === "operator") return `operator ${p.operatorId}`;
  if (p.role === "affiliate") return `affiliate ${p.affiliateId}`;
  return "admin";
}

export const csrfField = (csrf: string): SafeHtml => html`<input type="hidden" name="csrf" value="${csrf}">`;

function header(viewer: Viewer, path: string): SafeHtml {
  return html`<header class="top">
  <a class="brand" href="/">Postwire</a>
  <nav aria-label="Main">${navOf(viewer.principal).map(
    ([href, label]) => html`<a href="${href}"${path === href ? html` aria-current="page"` : ""}>${label}</a>`,
  )}</nav>
  <form method="get" action="/search" class="search" role="search">
    <label for="q">Find a conversion</label>
    <input type="search" id="q" name="q" placeholder="conversion id, txid, player or click id" maxlength="200">
    <button type="submit">Search</button>
  </form>
  <div class="who">
    <span title="Signed in with this API key">${viewer.keyName} · ${roleLabel(viewer.principal)}</span>
    <form method="post" action="/sign-out">${csrfField(viewer.csrf)}<button type="submit">Sign out</button></form>
  </div>
</header>`;
}

function footer(viewer: Viewer, path: string): SafeHtml {
  return html`<footer>
  <form method="post" action="/preferences" class="tz">
    ${csrfField(viewer.csrf)}<input type="hidden" name="return_to" value="${path}">
    <label for="time-zone">Times shown in</label>
    <select id="time-zone" name="time_zone" data-autosubmit>${timeZones().map(
      (zone) => html`<option${zone === viewer.timeZone ? html` selected` : ""}>${zone}</option>`,
    )}</select>
    <button type="submit">Set</button>
  </form>
</footer>`;
}

export function page(options: PageOptions): string {
  const path = options.path ?? "/";
  const { viewer } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Postwire</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
${
  options.charts
    ? html`<link rel="stylesheet" href="/assets/uplot/uPlot.min.css">
<script src="/assets/uplot/uPlot.iife.min.js" defer></script>
<script src="/assets/charts.js" defer></script>`
    : ""
}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${viewer ? header(viewer, path) : html`<header class="top"><span class="brand">Postwire</span></header>`}
<main id="main">${options.body}</main>
${viewer ? footer(viewer, path) : ""}
</body>
</html>`.value;
}
