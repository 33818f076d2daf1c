/** How the console writes figures: counts, rates, latencies, JSON data blocks for the charts. */
import { html, SafeHtml } from "./html.ts";
import { formatTime } from "./time-zones.ts";

const counts = new Intl.NumberFormat("en-US");

export const count = (n: number): string => counts.format(n);

/** "12.5 %", "0 %". */
export const percent = (rate: number): string => `${(Math.round(rate * 1000) / 10).toString()} %`;

/** A latency percentile as its bucket's bound ("≤ 1.5 ms"); "–" without requests. */
export function latency(us: number | null): string {
  if (us === null) return "–";
  if (us >= Number.MAX_SAFE_INTEGER) return "> 8.2 s";
  return us >= 1_000_000 ? `≤ ${us / 1_000_000} s` : `≤ ${us / 1000} ms`;
}

/** A time, with its zone stated, or "never". */
export function timeOf(ms: number | null, zone: string): SafeHtml {
  if (ms === null) return html`<span class="muted">never</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}">${formatTime(ms, zone)}</time>`;
}

/**
 * Data for the charts as a JSON block (not script: the CSP runs none inline); `<` is written
 * \u003c so no text inside can close the element.
 */
export function jsonBlock(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return new SafeHtml(`<script type="application/json" id="${id}">${json}</script>`);
}
