/**
 * Reconciliation in the console (docs/reconciliation.md), for admin and operator keys: the runs,
 * newest first (who, when, operator, period, file, counts per category, state), and the upload
 * form: operator (an operator key's own), period, format, column renames over the operator's
 * parameter mapping (the columns expected are listed), the file. The file is streamed to the same
 * use case as the API; the CSRF token comes before it in the form, and is checked before a byte of
 * the file is read.
 */
import type { ReconciliationRun } from "../../app/reconcile/reconciliation-port.ts";
import type { Operator } from "../../domain/model.ts";
import { CONTRACT_FIELDS } from "../../domain/postback-params.ts";
import { RECONCILIATION_CATEGORIES } from "../../domain/reconciliation.ts";
import { count, timeOf } from "../figures.ts";
import { type FormError, field, formLevel, select, text, textArea, type Values } from "../form-fields.ts";
import { html, type SafeHtml } from "../html.ts";
import { csrfField, page, type Viewer } from "../layout.ts";

/** The upload form's fields, in the order they are sent (the CSRF token first). */
const UPLOAD_FIELDS = ["operator_id", "from", "to", "format", "columns", "file"] as const;

/** The period as the page shows it: the UTC days covered ([from, to) in days). */
export function periodOf(run: Pick<ReconciliationRun, "from" | "to">): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const last = run.to - 1;
  return day(run.from) === day(last) ? day(run.from) : `${day(run.from)} – ${day(last)}`;
}

/** The columns a file is read with for this operator: each contract field under its column name. */
function expectedColumns(operator: Operator): SafeHtml {
  const theirs = new Map(Object.entries(operator.mapping.params).map(([their, ours]) => [ours, their]));
  return html`<li><strong>${operator.name}</strong>: ${CONTRACT_FIELDS.map((f, i) => {
    const name = theirs.get(f);
    return html`${i ? ", " : ""}<code>${name ?? f}</code>${name ? html` (${f})` : ""}`;
  })}</li>`;
}

function uploadForm(
  operators: readonly Operator[],
  viewer: Viewer,
  values: Values,
  error: FormError | undefined,
): SafeHtml {
  const fixed = viewer.principal.role === "operator";
  return html`<form method="post" action="/reconciliations" enctype="multipart/form-data" class="card upload">
  <h2>Reconcile a period</h2>${formLevel("upload", error, [...UPLOAD_FIELDS])}
  ${csrfField(viewer.csrf)}
  ${
    fixed
      ? html`<p>Operator: <strong>${operators[0]?.name ?? viewer.principal.operatorId}</strong></p>`
      : field(
          "upload",
          "operator_id",
          "Operator",
          select(
            operators.map((o) => [String(o.id), `${o.name} (${o.id})`] as const),
            values["operator_id"],
          ),
          error,
        )
  }
  ${field("upload", "from", "From (occurred at, UTC)", text(values["from"], html` required placeholder="2026-11-01"`), error, "A day (2026-11-01) or a time (2026-11-01T00:00:00Z).")}
  ${field("upload", "to", "To (excluded)", text(values["to"], html` required placeholder="2026-12-01"`), error)}
  ${field(
    "upload",
    "format",
    "Format",
    select(
      [
        ["csv", "CSV (a header row of column names)"],
        ["jsonl", "JSON lines (one object per line)"],
      ],
      values["format"] ?? "csv",
    ),
    error,
  )}
  ${field("upload", "columns", "Column renames (optional)", textArea(values["columns"], html` rows="3" maxlength="4000" placeholder="their_column = txid"`), error, "One per line, their column = our field, over the operator's parameter mapping.")}
  <details><summary>Columns expected</summary>
    <p class="hint">Each row is validated as a postback would be; <code>event</code>, <code>txid</code> and <code>occurred_at</code> are required. With each operator's parameter mapping:</p>
    <ul class="columns">${operators.map(expectedColumns)}</ul>
  </details>
  ${field("upload", "file", "File (UTF-8, up to 512 MB)", (attrs) => html`<input type="file" ${attrs} required accept=".csv,.jsonl,.ndjson,.txt,text/csv,application/x-ndjson">`, error)}
  <button type="submit">Upload and compare</button>
</form>`;
}

const statusClass = (status: ReconciliationRun["status"]) =>
  status === "done" ? "active" : status === "running" ? "" : "disabled";

function runsTable(runs: readonly ReconciliationRun[], names: Map<number, string>, zone: string): SafeHtml {
  if (!runs.length) return html`<h2>Runs</h2><p class="empty">No reconciliation yet.</p>`;
  return html`<div class="table-wrap"><table class="runs"><caption>Runs, newest first</caption>
  <thead><tr><th scope="col">Run</th><th scope="col">When</th><th scope="col">By key</th><th scope="col">Operator</th><th scope="col">Period</th><th scope="col">File</th>${RECONCILIATION_CATEGORIES.map((c) => html`<th scope="col" class="num">${c}</th>`)}<th scope="col">State</th></tr></thead>
  <tbody>${runs.map(
    (
      r,
    ) => html`<tr><td><a href="/reconciliations/${r.id}">${r.id}</a></td><td>${timeOf(r.createdAt, zone)}</td>
    <td class="num">${r.createdByKeyId ?? "—"}</td><td>${names.get(r.operatorId) ?? r.operatorId}</td><td>${periodOf(r)}</td>
    <td>${r.format} · ${count(r.fileBytes)} bytes<br><code class="hash" title="SHA-256">${r.fileSha256 ? r.fileSha256.slice(0, 12) : "—"}</code></td>
    ${RECONCILIATION_CATEGORIES.map((c) => html`<td class="num">${count(r.counts[c])}</td>`)}
    <td><span class="status ${statusClass(r.status)}">${r.status}</span>${r.error ? html`<br><span class="muted">${r.error}</span>` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

export function reconciliationsPage(
  data: { readonly runs: readonly ReconciliationRun[]; readonly operators: readonly Operator[] },
  viewer: Viewer,
  state: { readonly values?: Values; readonly error?: FormError } = {},
): string {
  const names = new Map(data.operators.map((o) => [o.id, o.name]));
  return page({
    title: "Reconcile",
    viewer,
    path: "/reconciliations",
    body: html`<h1>Reconcile</h1>
<p class="lead">Compare an operator's own list of events for a period with what was received: each row matched, missing (can be backfilled), extra, mismatched (each difference named), malformed (with its line), a duplicate, or a test event. Mismatches are never overwritten: they are listed for a manual adjustment.</p>
${uploadForm(data.operators, viewer, state.values ?? {}, state.error)}
${runsTable(data.runs, names, viewer.timeZone)}`,
  });
}
