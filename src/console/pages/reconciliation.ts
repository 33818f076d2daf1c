/**
 * One reconciliation run in the console: what was compared (who, when, period, file), the counts
 * and the summary per day and event type, each category's rows a page at a time (matched ones
 * only when asked), mismatches with each difference named and a link to the conversion's timeline
 * for the manual adjustment, malformed rows with their line, a CSV per category; and the backfill
 * of the missing rows (all, or those ticked), confirmed first, each backfill kept and shown.
 */
import type { Backfill, ReconciliationRun, ResultRow } from "../../app/reconcile/reconciliation-port.ts";
import { ERRORS } from "../../domain/errors.ts";
import { RECONCILIATION_CATEGORIES, type ReconciliationCategory } from "../../domain/reconciliation.ts";
import { count, timeOf } from "../figures.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";
import { periodOf } from "./reconciliations.ts";

interface RunView {
  readonly run: ReconciliationRun;
  readonly operatorName: string;
  readonly category: ReconciliationCategory;
  readonly rows: readonly ResultRow[];
  /** The seq to page on from, when there are more rows. */
  readonly nextAfter: number | null;
  readonly backfills: readonly Backfill[];
  /** The backfill just run (its result is announced). */
  readonly justRun?: string | undefined;
  /** Backfill is offered (the service has the ingest pipeline). */
  readonly canBackfill: boolean;
}

/** The categories in the order a person settles them; matched last (hidden unless asked). */
const SHOWN_ORDER: readonly ReconciliationCategory[] = [
  "mismatched",
  "missing",
  "malformed",
  "extra",
  "duplicate",
  "test",
  "matched",
];

/** The category shown when none is asked: the first that needs a look. */
export const defaultCategory = (run: ReconciliationRun): ReconciliationCategory =>
  SHOWN_ORDER.find((c) => c !== "matched" && run.counts[c] > 0) ?? "mismatched";

/** A settled backfill code: left alone by the next backfill (backfill-missing.ts TRANSIENT aside). */
const settled = (code: string | null) =>
  code !== null && !["storage_unavailable", "overloaded", "internal_error"].includes(code);

const timeline = (id: string | null) =>
  id ? html`<a href="/conversions/${id}">${id}</a>` : html`<span class="muted">—</span>`;

const codeText = (code: string): string => {
  const entry = (ERRORS as Record<string, { message: string } | undefined>)[code];
  return code === "accepted" || code === "duplicate" || !entry ? code : `${code} (${entry.message})`;
};

function facts(view: RunView, zone: string): SafeHtml {
  const r = view.run;
  return html`<dl class="facts">
  <dt>Operator</dt><dd>${view.operatorName} (${r.operatorId})</dd>
  <dt>Period</dt><dd>${periodOf(r)} <span class="muted">(occurred at, UTC, ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()} excluded)</span></dd>
  <dt>Uploaded</dt><dd>${timeOf(r.createdAt, zone)} by key ${r.createdByKeyId ?? "—"}</dd>
  <dt>File</dt><dd>${r.format} · ${count(r.fileBytes)} bytes · SHA-256 <code class="hash">${r.fileSha256 || "—"}</code></dd>
  <dt>State</dt><dd><span class="status ${r.status === "done" ? "active" : "disabled"}">${r.status}</span>${r.error ? html` ${r.error}` : ""}</dd>
</dl>`;
}

function categoryNav(view: RunView): SafeHtml {
  const r = view.run;
  return html`<nav class="categories" aria-label="Categories">${SHOWN_ORDER.map(
    (c) =>
      html`<a href="/reconciliations/${r.id}?category=${c}"${c === view.category ? html` aria-current="page"` : ""}>${c} <span class="num" data-category="${c}">${count(r.counts[c])}</span></a>`,
  )}</nav>`;
}

function summaryTable(run: ReconciliationRun): SafeHtml {
  if (!run.summary.length) return html``;
  return html`<div class="table-wrap"><table class="summary"><caption>Per day (UTC) and event type</caption>
  <thead><tr><th scope="col">Day</th><th scope="col">Event</th>${RECONCILIATION_CATEGORIES.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
  <tbody>${run.summary.map(
    (s) =>
      html`<tr><td>${s.day}</td><td>${s.event}</td>${RECONCILIATION_CATEGORIES.map((c) => html`<td class="num">${count(s.counts[c])}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** The cells a row shows in its category, after line, txid, event and time. */
function detailOf(row: ResultRow, category: ReconciliationCategory): SafeHtml {
  switch (category) {
    case "mismatched":
      return html`<td><ul class="differences">${(row.differences ?? []).map(
        (d) =>
          html`<li><strong>${d.field}</strong>: file ${d.file ?? "—"}, received ${d.received ?? "—"}</li>`,
      )}</ul></td><td>${timeline(row.conversionId)}</td>`;
    case "malformed":
    case "duplicate":
      return html`<td>${row.error ?? ""}</td>`;
    case "missing":
      return html`<td>${row.backfillCode ? codeText(row.backfillCode) : html`<span class="muted">not backfilled</span>`}</td><td>${timeline(row.conversionId)}</td>`;
    default:
      return html`<td>${timeline(row.conversionId)}</td>`;
  }
}

const DETAIL_HEADS: Record<ReconciliationCategory, readonly string[]> = {
  mismatched: ["Differences", "Conversion (adjust by hand)"],
  malformed: ["Why refused"],
  duplicate: ["What it repeats"],
  missing: ["Backfill", "Conversion"],
  extra: ["Conversion"],
  matched: ["Conversion"],
  test: ["Conversion"],
};

function rowsTable(view: RunView, zone: string, csrf: string): SafeHtml {
  const { run, category, rows } = view;
  const tick = category === "missing" && view.canBackfill;
  if (!rows.length) return html`<p class="empty">No ${category} rows.</p>`;
  const table = html`<div class="table-wrap"><table class="rows"><caption>${category} rows (file order)</caption>
  <thead><tr>${tick ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : ""}<th scope="col" class="num">Line</th><th scope="col">txid</th><th scope="col">Event</th><th scope="col">Occurred</th>${DETAIL_HEADS[category].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
  <tbody>${rows.map(
    (r) =>
      html`<tr>${
        tick
          ? html`<td>${settled(r.backfillCode) || r.txid === null ? "" : html`<input type="checkbox" name="txid" value="${r.txid}" aria-label="Select ${r.txid}">`}</td>`
          : ""
      }<td class="num">${r.line ?? "—"}</td><td><code>${r.txid ?? "—"}</code></td><td>${r.event ?? "—"}</td><td>${r.occurredAt === null ? "—" : timeOf(r.occurredAt, zone)}</td>${detailOf(r, category)}</tr>`,
  )}</tbody></table></div>`;
  const pager =
    view.nextAfter === null
      ? ""
      : html`<p class="pager"><a href="/reconciliations/${run.id}?category=${category}&amp;after=${view.nextAfter}">Next rows</a></p>`;
  if (!tick) return html`${table}${pager}`;
  return html`<form method="post" action="/reconciliations/${run.id}/backfill" class="backfill-selection">
  ${csrfField(csrf)}${table}
  <button type="submit">Backfill the selected rows…</button>
</form>${pager}`;
}

const rows = (n: number) => `${count(n)} ${n === 1 ? "row" : "rows"}`;

/** The result of the backfill just run, at the top of the page it lands on. */
function backfillResult(view: RunView): SafeHtml | "" {
  const just = view.backfills.find((b) => b.id === view.justRun);
  return just
    ? html`<section class="created" role="status" id="backfill-result"><h2>${
        just.attempted
          ? `Backfill ${just.id}: ${rows(just.attempted)} ingested`
          : `Backfill ${just.id}: nothing changed`
      }</h2><p>${
        just.attempted
          ? Object.entries(just.outcomes)
              .map(([code, n]) => `${codeText(code)}: ${n}`)
              .join(" · ")
          : `The ${just.alreadyDone} rows asked for had been settled by an earlier backfill.`
      }${just.attempted && just.alreadyDone ? ` ${just.alreadyDone} left alone (settled earlier).` : ""}</p></section>`
    : "";
}

function backfillsSection(view: RunView, zone: string, csrf: string): SafeHtml {
  const table = view.backfills.length
    ? html`<div class="table-wrap"><table class="backfills"><caption>Backfills of this run, newest first</caption>
  <thead><tr><th scope="col">Backfill</th><th scope="col">When</th><th scope="col">By key</th><th scope="col">Asked</th><th scope="col" class="num">Ingested</th><th scope="col" class="num">Already done</th><th scope="col">Answers</th><th scope="col">State</th></tr></thead>
  <tbody>${view.backfills.map(
    (
      b,
    ) => html`<tr${b.id === view.justRun ? html` class="current"` : ""}><td>${b.id}</td><td>${timeOf(b.createdAt, zone)}</td><td class="num">${b.createdByKeyId ?? "—"}</td>
    <td>${b.txids === null ? "all missing rows" : `${b.txids.length} selected`}</td><td class="num">${count(b.attempted)}</td><td class="num">${count(b.alreadyDone)}</td>
    <td>${Object.keys(b.outcomes).length ? html`<ul>${Object.entries(b.outcomes).map(([code, n]) => html`<li>${codeText(code)}: ${count(n)}</li>`)}</ul>` : html`<span class="muted">none</span>`}</td>
    <td>${b.status}</td></tr>`,
  )}</tbody></table></div>`
    : html`<p class="empty">Not backfilled yet.</p>`;
  return html`<section aria-labelledby="backfills-h"><h2 id="backfills-h">Backfill</h2>
<p>Missing rows go through the same pipeline as a live postback (validation, txid dedupe, attribution, commissions, outbound postbacks), with the file's occurred_at. Rows settled by an earlier backfill are left alone: running it twice changes nothing.</p>
${
  view.canBackfill && view.run.status === "done" && view.run.counts.missing > 0
    ? html`<form method="post" action="/reconciliations/${view.run.id}/backfill" class="inline">${csrfField(csrf)}<input type="hidden" name="all" value="1"><button type="submit">Backfill all ${count(view.run.counts.missing)} missing rows…</button></form>`
    : ""
}
${table}</section>`;
}

export function reconciliationPage(view: RunView, viewer: Viewer): string {
  const zone = viewer.timeZone;
  const { run, category } = view;
  const body = html`<p><a href="/reconciliations">← All runs</a></p>
<h1>Reconciliation ${run.id}</h1>
${backfillResult(view)}
${facts(view, zone)}
${summaryTable(run)}
<h2>Rows</h2>
${categoryNav(view)}
<p><a class="button" href="/reconciliations/${run.id}/rows.csv?category=${category}" download>Download the ${category} rows (CSV)</a></p>
${rowsTable(view, zone, viewer.csrf)}
${backfillsSection(view, zone, viewer.csrf)}`;
  return page({
    title: `Reconciliation ${run.id}`,
    viewer,
    path: `/reconciliations/${run.id}`,
    body,
  });
}

/** Asks before a backfill: which rows, and what it does. */
export function backfillConfirmPage(
  run: ReconciliationRun,
  viewer: Viewer,
  asked: { readonly all: boolean; readonly txids: readonly string[] },
): string {
  return page({
    title: `Backfill ${run.id}?`,
    viewer,
    path: `/reconciliations/${run.id}`,
    body: html`<h1>Backfill ${asked.all ? `all ${count(run.counts.missing)} missing rows` : `${asked.txids.length} selected rows`}?</h1>
<p>Each row is ingested as a live postback would be: a conversion, its commissions and outbound postbacks to the affiliate's endpoints. This cannot be undone (a conversion is reversed by a refund or an adjustment). Rows settled by an earlier backfill are left alone.</p>
${asked.all ? "" : html`<ul class="txids">${asked.txids.map((t) => html`<li><code>${t}</code></li>`)}</ul>`}
<form method="post" action="/reconciliations/${run.id}/backfill" class="card">
  ${csrfField(viewer.csrf)}<input type="hidden" name="confirm" value="1">
  ${asked.all ? html`<input type="hidden" name="all" value="1">` : asked.txids.map((t) => html`<input type="hidden" name="txid" value="${t}">`)}
  <p class="actions"><button type="submit">Confirm the backfill</button> <a href="/reconciliations/${run.id}?category=missing">Cancel</a></p>
</form>`,
  });
}
