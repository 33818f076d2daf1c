/**
 * One request-log entry (`/requests/{id}`): what was received (the raw request, secrets already
 * redacted when it was logged, as inert text in <pre>; its query parameters decoded), the answer
 * sent, the latency, what the code means and how to fix it, and the conversion it created.
 */
import type { AdminDeps } from "../../app/admin/deps.ts";
import { getRequestLogEntry } from "../../app/admin/records.ts";
import type { ConversionRow, RequestLogRow } from "../../app/records.ts";
import { formatMinor } from "../../domain/money.ts";
import { timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { page, type Viewer } from "../layout.ts";
import { fixOf, latencyText, meaningOf, outcomeBadge } from "./request-parts.ts";

/** JSON text indented for reading; text that is not JSON as it is. */
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The raw request's query string as name/value pairs (decoded), if it has one. */
function queryPairs(raw: string): Array<[string, string]> {
  try {
    const query = (JSON.parse(raw) as { query?: unknown }).query;
    return typeof query === "string" && query ? [...new URLSearchParams(query)] : [];
  } catch {
    return [];
  }
}

function amountOf(c: ConversionRow): string {
  if (c.amountMinor === null || c.currency === null) return "—";
  try {
    return `${formatMinor(c.amountMinor, c.currency)} ${c.currency}`;
  } catch {
    return `${c.amountMinor} (minor units) ${c.currency}`;
  }
}

function conversionSection(c: ConversionRow, zone: string): SafeHtml {
  return html`<section id="conversion" class="card" aria-labelledby="conversion-title">
<h2 id="conversion-title">Conversion <code>${c.id}</code></h2>
<dl class="facts">
<dt>Event</dt><dd>${c.event}${c.test ? html` <span class="status">test</span>` : ""}</dd>
<dt>txid</dt><dd><code>${c.txid}</code></dd>
<dt>Amount</dt><dd>${amountOf(c)}</dd>
<dt>Affiliate</dt><dd>${c.affiliateId ?? html`none: unattributed (<code>${c.unattributedReason}</code>)`}</dd>
<dt>Program</dt><dd>${c.programId ?? "—"}</dd>
<dt>Click</dt><dd><code>${c.clickId ?? "—"}</code></dd>
<dt>Player</dt><dd><code>${c.playerId ?? "—"}</code></dd>
<dt>Sub id</dt><dd><code>${c.subId ?? "—"}</code></dd>
<dt>Occurred</dt><dd>${timeOf(c.occurredAt, zone)}</dd>
</dl></section>`;
}

function summary(e: RequestLogRow, conversion: ConversionRow | undefined, zone: string): SafeHtml {
  const fix = fixOf(e);
  const meaning = meaningOf(e.code);
  return html`<dl class="facts">
<dt>Received</dt><dd>${timeOf(e.receivedAt, zone)}</dd>
<dt>Outcome</dt><dd>${outcomeBadge(e.outcome)}</dd>
<dt>Answer</dt><dd>${e.status} <code>${e.code}</code>${meaning ? html` — ${meaning}` : ""}</dd>
${e.reason ? html`<dt>Reason</dt><dd class="reason">${e.reason}</dd>` : ""}
${fix ? html`<dt>How to fix it</dt><dd class="fix">${fix}</dd>` : ""}
<dt>Latency</dt><dd>${latencyText(e.latencyUs)}</dd>
<dt>Operator</dt><dd>${e.operatorId ?? "—"}</dd>
<dt>Program</dt><dd>${e.programId === null ? "—" : html`<a href="/programs/${e.programId}/failures">${e.programId}</a>`}</dd>
<dt>txid</dt><dd><code>${e.txid ?? "—"}</code></dd>
<dt>Request</dt><dd><code>${e.method} ${e.path}</code> from <code>${e.ip ?? "—"}</code></dd>
<dt>Conversion</dt><dd>${
    conversion
      ? html`<a href="#conversion">${conversion.id}</a> · <a href="/conversions/${encodeURIComponent(conversion.id)}">its whole story</a>`
      : e.conversionId
        ? html`<code>${e.conversionId}</code> (not visible)`
        : "none"
  }</dd>
</dl>`;
}

export async function requestDetailPage(deps: AdminDeps, viewer: Viewer, id: string): Promise<string> {
  const { entry, conversion } = await getRequestLogEntry(deps, viewer.principal, id);
  const zone = viewer.timeZone;
  const pairs = queryPairs(entry.raw);
  const body = html`<p><a href="/requests">← Requests</a></p>
<h1>Request <code>${entry.id}</code></h1>
<p class="hint">Times in ${zone}.</p>
<section class="card" aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2>${summary(entry, conversion, zone)}</section>
${
  pairs.length
    ? html`<section class="card" aria-labelledby="params-title"><h2 id="params-title">Query parameters</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
<tbody>${pairs.map(([name, value]) => html`<tr><td><code>${name}</code></td><td><code>${value}</code></td></tr>`)}</tbody></table></div></section>`
    : ""
}
<section class="card" aria-labelledby="raw-title"><h2 id="raw-title">Raw request</h2>
<p class="hint">As received; signatures and tokens were redacted when it was logged.</p>
<pre class="raw" tabindex="0">${pretty(entry.raw)}</pre></section>
<section class="card" aria-labelledby="answer-title"><h2 id="answer-title">Answer sent</h2>
${entry.answer === null ? html`<p class="empty">Not recorded (logged before answers were kept).</p>` : html`<pre class="raw" tabindex="0">${pretty(entry.answer)}</pre>`}</section>
${conversion ? conversionSection(conversion, zone) : ""}`;
  return page({ title: `Request ${entry.id}`, viewer, path: "/requests", body });
}
