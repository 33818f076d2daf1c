/**
 * The first page after sign-in: what the key sees. Admin and operator keys: the programs (an
 * operator key, its own); an affiliate key: its tracking links.
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import { listLinks } from "../../app/admin/links.ts";
import { listPrograms } from "../../app/admin/programs.ts";
import type { Link, Program } from "../../domain/model.ts";
import { timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { subIdHelp, trackingUrl } from "./affiliate.ts";

/** Rows shown at most; more are said to exist (the lists page by cursor in the API). */
const SHOWN = 200;

function programsTable(programs: readonly Program[], zone: string): SafeHtml {
  if (!programs.length)
    return html`<p class="empty">No programs yet. Create one with <code>POST /v1/programs</code>.</p>`;
  return html`<div class="table-wrap"><table>
  <caption>Programs</caption>
  <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Vertical</th><th scope="col">Currency</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
  <tbody>${programs.map(
    (p) =>
      html`<tr><td class="num">${p.id}</td><td>${p.name}</td><td>${p.vertical}</td><td>${p.currency}</td><td><span class="status ${p.status}">${p.status}</span></td><td>${timeOf(p.createdAt, zone)}</td></tr>`,
  )}</tbody>
</table></div>`;
}

function linksTable(links: readonly Link[], publicUrl: string, zone: string): SafeHtml {
  if (!links.length)
    return html`<p class="empty">No tracking links yet: ask your affiliate manager for one.</p>`;
  return html`<div class="table-wrap"><table>
  <caption>Your tracking links</caption>
  <thead><tr><th scope="col">Tracking URL</th><th scope="col">Program</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
  <tbody>${links.map(
    (l) =>
      html`<tr><td class="url">${trackingUrl(l, publicUrl)}</td><td class="num">${l.programId}</td><td><span class="status ${l.status}">${l.status}</span></td><td>${timeOf(l.createdAt, zone)}</td></tr>`,
  )}</tbody>
</table></div>
${subIdHelp(publicUrl)}`;
}

export async function homePage(deps: AdminDeps, viewer: Viewer): Promise<string> {
  const { principal, timeZone } = viewer;
  const body =
    principal.role === "affiliate"
      ? linksTable(await listLinks(deps, principal, { limit: SHOWN }), deps.publicUrl, timeZone)
      : programsTable(await listPrograms(deps, principal, { limit: SHOWN }), timeZone);
  return page({
    title: principal.role === "affiliate" ? "Links" : "Programs",
    viewer,
    path: "/",
    body: html`<h1>${principal.role === "affiliate" ? "Links" : "Programs"}</h1>${body}`,
  });
}
