/**
 * One conversion's story, click to money (issue: the conversion timeline): the click, the player's
 * events and reversals, each ledger entry with its explanation in words, each outbound postback
 * with its attempts and a replay button; and the search that finds a conversion by id, txid or
 * player id. Everything from outside (sub-ids, user agents, referers, txids, response excerpts) is
 * escaped by construction (html.ts).
 */
import type {
  ConversionTimeline,
  SearchResult,
  TimelineDelivery,
} from "../../app/admin/conversion-timeline.ts";
import type { ClickRow, ConversionRow } from "../../app/records.ts";
import { formatMinor } from "../../domain/money.ts";
import { timeOf } from "../figures.ts";
import { html, type SafeHtml, safeHref } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

/** A record by its name and id when the viewer may read its name, else by id (`fallback` when none). */
const named = (names: ReadonlyMap<number, string>, id: number | null, fallback = "—"): SafeHtml | string => {
  if (id === null) return fallback;
  const name = names.get(id);
  return name === undefined ? `id ${id}` : html`${name} <span class="hint">(id ${id})</span>`;
};

const amountOf = (minor: number | null, currency: string | null) =>
  minor === null || currency === null ? "—" : `${formatMinor(minor, currency)} ${currency}`;

function stateOf(c: ConversionRow): string {
  if (c.test) return "test";
  return c.unattributedReason ? `unattributed (${c.unattributedReason})` : "attributed";
}

function clickSection(click: ClickRow | undefined, t: ConversionTimeline, zone: string): SafeHtml {
  const subject = t.original ?? t.conversion;
  if (!click) {
    const why = subject.clickId
      ? "The click is no longer stored (clicks are pruned after their retention)."
      : subject.unattributedReason
        ? "Not attributed: no click or player binding led to an affiliate."
        : "Attributed through the player's earlier binding, not a click of its own.";
    return html`<section aria-labelledby="click-h"><h2 id="click-h">Click</h2><p class="empty">${why}</p></section>`;
  }
  const subs = click.subs.map((s, i) => (s === null ? "" : html`<dt>sub${i + 1}</dt><dd>${s}</dd>`));
  return html`<section aria-labelledby="click-h"><h2 id="click-h">Click</h2>
<dl class="facts">
  <dt>Click id</dt><dd><code>${click.clickId}</code></dd>
  <dt>Time</dt><dd>${timeOf(click.createdAt, zone)}</dd>
  <dt>Link</dt><dd>${t.link ? html`<code>${t.link.code}</code> (id ${t.link.id})` : `id ${click.linkId}`}</dd>
  <dt>Affiliate</dt><dd>${named(t.affiliateNames, click.affiliateId)}</dd>
  ${subs}
  <dt>User agent</dt><dd>${click.userAgent ?? "—"}</dd>
  <dt>Referer</dt><dd>${click.referer ?? "—"}</dd>
  <dt>IP</dt><dd>${click.ip ?? "—"}</dd>
</dl></section>`;
}

function eventsSection(t: ConversionTimeline, zone: string): SafeHtml {
  return html`<section aria-labelledby="events-h"><h2 id="events-h">${t.conversion.playerId || t.original?.playerId ? "The player's events" : "Events"}</h2>
<div class="table-wrap"><table>
  <thead><tr><th scope="col">Occurred</th><th scope="col">Event</th><th scope="col">Amount</th><th scope="col">txid</th><th scope="col">Reverses</th><th scope="col">State</th></tr></thead>
  <tbody>${t.events.map(
    (e) => html`<tr${e.id === t.conversion.id ? html` aria-current="true" class="current"` : ""}>
      <td>${timeOf(e.occurredAt, zone)}</td>
      <td><a href="/conversions/${encodeURIComponent(e.id)}">${e.event}</a></td>
      <td class="num">${amountOf(e.amountMinor, e.currency)}</td>
      <td><code>${e.txid}</code></td>
      <td>${e.reversesId ? html`<a href="/conversions/${encodeURIComponent(e.reversesId)}">${e.reversesId}</a>` : "—"}</td>
      <td>${stateOf(e)}</td></tr>`,
  )}</tbody>
</table></div></section>`;
}

function ledgerSection(t: ConversionTimeline, zone: string): SafeHtml {
  const entries = t.ledger;
  const body = entries.length
    ? html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">Written</th><th scope="col">Kind</th><th scope="col">Affiliate</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Why</th></tr></thead>
  <tbody>${entries.map(
    (
      e,
    ) => html`<tr><td>${timeOf(e.createdAt, zone)}</td><td>${e.kind} · ${e.component}</td><td>${named(t.affiliateNames, e.affiliateId)}</td>
      <td class="num">${amountOf(e.amountMinor, e.currency)}</td><td><span class="status ${e.status}">${e.status}</span></td>
      <td>${String(e.explain["text"] ?? "")}</td></tr>`,
  )}</tbody></table></div>`
    : t.conversion.noCommissionPlan
      ? html`<p class="warning">No commission plan was in force for this program and affiliate when it occurred: it earned nothing. Once a plan exists, a recalculation credits it.</p>`
      : html`<p class="empty">No ledger entry: nothing was earned (test or unattributed event, or below the plan's conditions).</p>`;
  return html`<section aria-labelledby="ledger-h"><h2 id="ledger-h">Commissions</h2>${body}</section>`;
}

function deliveryBlock(d: TimelineDelivery, t: ConversionTimeline, viewer: Viewer, zone: string): SafeHtml {
  const { delivery } = d;
  const conversionId = t.conversion.id;
  return html`<article class="delivery">
  <h3>${delivery.status} → endpoint ${named(t.endpointNames, delivery.endpointId)} · <span class="status ${delivery.state}">${delivery.state}</span></h3>
  <form method="post" action="/conversions/${encodeURIComponent(conversionId)}/deliveries/${encodeURIComponent(delivery.id)}/replay">
    ${csrfField(viewer.csrf)}<button type="submit">Replay</button>
  </form>
  ${
    d.attempts.length
      ? html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Attempt</th><th scope="col">Started</th><th scope="col">Result</th><th scope="col">Latency</th><th scope="col">Response (excerpt)</th></tr></thead>
    <tbody>${d.attempts.map(
      (a) => html`<tr><td class="num">${a.attempt}</td><td>${timeOf(a.startedAt, zone)}</td>
        <td>${a.httpStatus ?? a.error ?? "—"}${a.detail ? html` <span class="hint">${a.detail}</span>` : ""}</td>
        <td class="num">${a.latencyMs} ms</td><td><code>${a.responseSnippet.slice(0, 200)}</code></td></tr>`,
    )}</tbody></table></div>`
      : html`<p class="empty">Not attempted yet${delivery.runAt ? html` (due ${timeOf(delivery.runAt, zone)})` : ""}.</p>`
  }
</article>`;
}

function deliveriesSection(t: ConversionTimeline, viewer: Viewer, zone: string): SafeHtml | "" {
  if (t.deliveries === null) return "";
  return html`<section aria-labelledby="out-h"><h2 id="out-h">Outbound postbacks</h2>${
    t.deliveries.length
      ? t.deliveries.map((d) => deliveryBlock(d, t, viewer, zone))
      : html`<p class="empty">No outbound postback: the affiliate has no endpoint subscribed to these events.</p>`
  }</section>`;
}

export function conversionPage(t: ConversionTimeline, viewer: Viewer, flash?: string): string {
  const zone = viewer.timeZone;
  const c = t.conversion;
  return page({
    title: `Conversion ${c.txid}`,
    viewer,
    path: `/conversions/${c.id}`,
    body: html`<h1>${c.event} <code>${c.txid}</code></h1>
${flash ? html`<p class="flash" role="status">${flash}</p>` : ""}
<dl class="facts">
  <dt>Conversion</dt><dd><code>${c.id}</code></dd>
  <dt>Occurred</dt><dd>${timeOf(c.occurredAt, zone)}</dd>
  <dt>Received</dt><dd>${timeOf(c.receivedAt, zone)}</dd>
  <dt>Amount</dt><dd>${amountOf(c.amountMinor, c.currency)}</dd>
  <dt>Program</dt><dd>${t.program ? html`<a href="${safeHref(`/programs/${t.program.id}`)}">${t.program.name}</a>` : "—"}</dd>
  <dt>Affiliate</dt><dd>${named(t.affiliateNames, c.affiliateId)}</dd>
  <dt>Player</dt><dd>${c.playerId ?? "—"}</dd>
  <dt>State</dt><dd>${stateOf(c)}</dd>
  ${t.original ? html`<dt>Reverses</dt><dd><a href="/conversions/${encodeURIComponent(t.original.id)}">${t.original.event} ${t.original.txid}</a></dd>` : ""}
</dl>
${clickSection(t.click, t, zone)}
${eventsSection(t, zone)}
${ledgerSection(t, zone)}
${deliveriesSection(t, viewer, zone)}`,
  });
}

export function searchPage(query: string, result: SearchResult, viewer: Viewer): string {
  const zone = viewer.timeZone;
  const rows = result.conversions;
  return page({
    title: "Search",
    viewer,
    path: "/search",
    body: html`<h1>Search</h1>
${
  rows.length
    ? html`<div class="table-wrap"><table><caption>Conversions matching <q>${query}</q></caption>
  <thead><tr><th scope="col">Occurred</th><th scope="col">Event</th><th scope="col">txid</th><th scope="col">Player</th><th scope="col">Operator</th><th scope="col">State</th></tr></thead>
  <tbody>${rows.map(
    (
      c,
    ) => html`<tr><td>${timeOf(c.occurredAt, zone)}</td><td><a href="/conversions/${encodeURIComponent(c.id)}">${c.event}</a></td>
      <td><code>${c.txid}</code></td><td>${c.playerId ?? "—"}</td><td class="num">${c.operatorId}</td><td>${stateOf(c)}</td></tr>`,
  )}</tbody></table></div>`
    : query
      ? html`<p class="empty">No conversion has the id, txid, player id or click id <q>${query}</q>.</p>`
      : ""
}
${
  result.click
    ? html`<section aria-labelledby="click-h"><h2 id="click-h">Click <code>${result.click.clickId}</code></h2>
<p>Issued ${timeOf(result.click.createdAt, zone)} on link ${result.click.linkId} of affiliate ${result.click.affiliateId}, program ${result.click.programId}. Its conversions are listed above: the ones that carry this click id and their players' other events.</p></section>`
    : ""
}`,
  });
}
