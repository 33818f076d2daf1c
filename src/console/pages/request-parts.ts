/** Pieces the request-log pages share: an outcome badge, a time cell, the fix text for a code. */
import type { RequestLogRow } from "../../app/records.ts";
import type { Unattributed } from "../../domain/attribution.ts";
import { ERROR_FIXES } from "../../domain/error-fixes.ts";
import { ERRORS, type ErrorCode } from "../../domain/errors.ts";
import type { RequestOutcome } from "../../domain/request-outcome.ts";
import { html, type SafeHtml } from "../html.ts";

export function outcomeBadge(outcome: RequestOutcome): SafeHtml {
  return html`<span class="status outcome-${outcome}">${outcome}</span>`;
}

export const latencyText = (us: number): string => `${(us / 1000).toFixed(1)} ms`;

/** Markdown `code` spans of the catalogue's texts as <code>, the rest as text. */
function withCode(text: string): SafeHtml[] {
  return text.split("`").map((part, i) => (i % 2 ? html`<code>${part}</code>` : html`${part}`));
}

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERRORS, code);

/** Why an accepted event found no affiliate, and what makes the next one attributed (integration.md §6). */
const UNATTRIBUTED_FIXES: Readonly<Record<Unattributed, string>> = {
  no_click_id: "Send the `click_id` the landing page received, or a `player_id` an earlier event bound.",
  click_id_invalid:
    "Pass the `click_id` through unchanged: this one was not issued by Postwire (cut, mistyped or forged).",
  link_not_found:
    "The `click_id` names a link of another operator or one that no longer exists: check the program.",
  player_unknown: "Send `click_id` with the player's first event: no earlier event bound this `player_id`.",
};

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * What to do about a logged request: for an error code its entry's fix (docs/errors.md); for an
 * unattributed event, what its reason asks for; nothing for the others.
 */
export function fixOf(row: Pick<RequestLogRow, "code" | "outcome" | "reason">): SafeHtml | undefined {
  if (row.outcome === "unattributed") {
    const fix = UNATTRIBUTED_FIXES[row.reason as Unattributed];
    return fix === undefined ? undefined : html`${withCode(fix)}`;
  }
  if (!isErrorCode(row.code)) return undefined;
  const fix = ERROR_FIXES[row.code];
  return fix === undefined ? undefined : html`${withCode(capitalised(fix))}`;
}

export function meaningOf(code: string): string | undefined {
  return isErrorCode(code) ? ERRORS[code].message : undefined;
}

/** A link to an entry's detail page. */
export const entryLink = (row: RequestLogRow, text = "Details"): SafeHtml =>
  html`<a href="/requests/${encodeURIComponent(row.id)}">${text}<span class="visually-hidden"> of request ${row.id}</span></a>`;
