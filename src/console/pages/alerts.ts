/**
 * Alerts in the console (docs/alerts.md): what fires now, worst news first, and what resolved
 * lately, each with its summary in words, since when (in the viewer's zone) and the page to look
 * at. An operator key sees those about its operator.
 */
import type { AlertRow } from "../../app/alerts/alert-port.ts";
import { summaryOf } from "../../domain/alerts/alert-messages.ts";
import { timeOf } from "../figures.ts";
import { html, type SafeHtml, safeHref } from "../html.ts";
import { page, type Viewer } from "../layout.ts";

function table(caption: string, alerts: readonly AlertRow[], zone: string, empty: string): SafeHtml {
  if (!alerts.length) return html`<h2>${caption}</h2><p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table><caption>${caption}</caption>
  <thead><tr><th scope="col">Since</th><th scope="col">Rule</th><th scope="col">What</th><th scope="col">Resolved</th></tr></thead>
  <tbody>${alerts.map(
    (
      a,
    ) => html`<tr><td>${timeOf(a.since, zone)}</td><td><span class="status ${a.state === "firing" ? "disabled" : "active"}">${a.rule}</span></td>
      <td><a href="${safeHref(a.link)}">${summaryOf(a)}</a></td><td>${a.resolvedAt === null ? "—" : timeOf(a.resolvedAt, zone)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function alertsPage(
  firing: readonly AlertRow[],
  resolved: readonly AlertRow[],
  viewer: Viewer,
): string {
  const zone = viewer.timeZone;
  return page({
    title: "Alerts",
    viewer,
    path: "/alerts",
    body: html`<h1>Alerts</h1>
<p class="hint">Evaluated every minute; sent to the alert webhooks when they fire and when they resolve. Times in ${zone}.</p>
${table("Firing now", firing, zone, "Nothing is firing: every operator is sending as usual and every endpoint delivers.")}
${table("Resolved lately", resolved, zone, "Nothing resolved lately.")}`,
  });
}
