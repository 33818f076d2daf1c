/**
 * A conversion's whole story, click to money (issue: the conversion timeline), and the search that
 * finds it by conversion id, txid, player id or click id. Scoped like the rest: an operator key sees its own
 * operator's conversions (and, for the ledger, its programs'; never the affiliates' endpoints); an
 * affiliate key its own conversions, entries and deliveries; a tampered id is a 404.
 */
import type { Link, Principal, Program } from "../../domain/model.ts";
import { scopedLedgerFilter } from "../commissions/admin-commissions.ts";
import type { LedgerEntry } from "../commissions/ledger-port.ts";
import type { Attempt, Delivery } from "../delivery/outbox-port.ts";
import type { ClickRow, ConversionRow } from "../records.ts";
import type { AdminDeps } from "./deps.ts";
import { type ConversionView, getConversion } from "./records.ts";
import { seesAffiliate } from "./scope.ts";

/** A player's events shown at most (a player with more is said to have more). */
const PLAYER_EVENTS_SHOWN = 200;

export interface TimelineDelivery {
  readonly delivery: Delivery;
  readonly attempts: readonly Attempt[];
}

export interface ConversionTimeline {
  readonly conversion: ConversionView;
  /** For a reversal: the conversion it reverses (if the viewer may see it). */
  readonly original: ConversionRow | undefined;
  /** The click it was attributed through (absent when unattributed, bound by player only, or pruned). */
  readonly click: ClickRow | undefined;
  readonly link: Link | undefined;
  readonly program: Program | undefined;
  /** The player's events at this operator, oldest first (or the conversion and its reversals). */
  readonly events: readonly ConversionRow[];
  /** Ledger entries of the conversion and of the events reversing it. */
  readonly ledger: readonly LedgerEntry[];
  /** Outbound postbacks of those events with their attempts; null: not the viewer's to see. */
  readonly deliveries: readonly TimelineDelivery[] | null;
  /** Names of the affiliates the page mentions that the viewer may read (admin, the affiliate itself). */
  readonly affiliateNames: ReadonlyMap<number, string>;
  /** Names of the deliveries' endpoints. */
  readonly endpointNames: ReadonlyMap<number, string>;
}

const byTime = (a: ConversionRow, b: ConversionRow) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1);

function visibleTo(principal: Principal, row: ConversionRow): boolean {
  if (principal.role === "admin") return true;
  if (principal.role === "operator") return row.operatorId === principal.operatorId;
  return row.affiliateId === principal.affiliateId;
}

export async function conversionTimeline(
  deps: AdminDeps,
  principal: Principal,
  id: string,
): Promise<ConversionTimeline> {
  const conversion = await getConversion(deps, principal, id);
  const { timeline } = deps.store;
  const originalRow = conversion.reversesId
    ? await deps.store.getConversion(conversion.reversesId)
    : undefined;
  const original = originalRow && visibleTo(principal, originalRow) ? originalRow : undefined;
  const subject = original ?? conversion;
  const reversals = await timeline.reversalsOf(subject.id, subject.operatorId);
  // The player's events (reversals name their original, not always the player), and this
  // conversion's own reversals, once each.
  const player = subject.playerId
    ? await timeline.playerEvents(subject.operatorId, subject.playerId, PLAYER_EVENTS_SHOWN)
    : [];
  const events = [...new Map([...player, subject, ...reversals].map((e) => [e.id, e])).values()].filter((e) =>
    visibleTo(principal, e),
  );
  const related = [subject, ...reversals].filter((e) => visibleTo(principal, e));
  const clickId = subject.clickId;
  const click = clickId ? await timeline.click(clickId) : undefined;
  const link = subject.linkId ? await deps.store.links.get(subject.linkId) : undefined;
  const program = subject.programId ? await deps.store.programs.get(subject.programId) : undefined;
  const ledger: LedgerEntry[] = [];
  if (subject.programId !== null)
    for (const e of related) {
      const filter = await scopedLedgerFilter(deps, principal, {
        conversionId: e.id,
        programId: subject.programId,
        limit: 1000,
      });
      ledger.push(...(await deps.store.commissions.listEntries(filter)));
    }
  let deliveries: TimelineDelivery[] | null = null;
  if (principal.role !== "operator") {
    deliveries = [];
    for (const e of related)
      for (const delivery of await deps.store.deliveries.list({
        conversionId: e.id,
        ...(principal.role === "affiliate" ? { affiliateId: principal.affiliateId! } : {}),
        limit: 100,
      }))
        deliveries.push({
          delivery,
          attempts: await deps.store.deliveries.attempts({ deliveryId: delivery.id, limit: 100 }),
        });
  }
  const shownClick = click && (await visibleClick(deps, principal, click)) ? click : undefined;
  const affiliateIds = [conversion.affiliateId, shownClick?.affiliateId, ...ledger.map((e) => e.affiliateId)];
  return {
    conversion,
    original,
    click: shownClick,
    link,
    program,
    events: events.sort(byTime),
    ledger,
    deliveries,
    affiliateNames: await namesOf(
      affiliateIds.filter((id): id is number => id != null && seesAffiliate(principal, id)),
      (id) => deps.store.affiliates.get(id),
    ),
    endpointNames: await namesOf(
      (deliveries ?? []).map((d) => d.delivery.endpointId),
      (id) => deps.store.deliveries.endpoints.get(id),
    ),
  };
}

/** The names of records by id (each distinct id read once: a page names one or two). */
async function namesOf(
  ids: readonly number[],
  get: (id: number) => Promise<{ readonly name: string } | undefined>,
): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const id of new Set(ids)) {
    const found = await get(id);
    if (found) names.set(id, found.name);
  }
  return names;
}

async function visibleClick(deps: AdminDeps, principal: Principal, click: ClickRow): Promise<boolean> {
  if (principal.role === "admin") return true;
  if (principal.role === "affiliate") return click.affiliateId === principal.affiliateId;
  return (await deps.store.programs.get(click.programId))?.operatorId === principal.operatorId;
}

/** What a search found: conversions (newest first) and, for a click id, the click. */
export interface SearchResult {
  readonly conversions: readonly ConversionRow[];
  readonly click: ClickRow | undefined;
}

/**
 * Finds conversions by conversion id, txid or player id (at every operator the viewer sees, one
 * statement each, an index seek per operator), or click id (the conversions that carry it and the
 * rest of their players' events), and a click by its id. Text that matches nothing finds nothing.
 */
export async function searchTimeline(
  deps: AdminDeps,
  principal: Principal,
  query: string,
): Promise<SearchResult> {
  const q = query.trim();
  if (!q || q.length > 200) return { conversions: [], click: undefined };
  const found = new Map<string, ConversionRow>();
  const direct = await deps.store.getConversion(q);
  if (direct) found.set(direct.id, direct);
  const { timeline } = deps.store;
  // An operator key searches its own operator; other keys every operator, in one statement each.
  const own = principal.role === "operator" ? principal.operatorId! : undefined;
  const byTxid =
    own === undefined
      ? await timeline.byTxidAtAnyOperator(q, PLAYER_EVENTS_SHOWN)
      : [await timeline.byTxid(own, q)].filter((c) => c !== undefined);
  const byPlayer =
    own === undefined
      ? await timeline.playerEventsAtAnyOperator(q, PLAYER_EVENTS_SHOWN)
      : await timeline.playerEvents(own, q, PLAYER_EVENTS_SHOWN);
  for (const e of [...byTxid, ...byPlayer]) found.set(e.id, e);
  const click = await timeline.click(q);
  // A click id (kept or already pruned): the conversions that carry it, and their players' other events.
  const carrying = await timeline.clickConversions(q, PLAYER_EVENTS_SHOWN);
  for (const c of carrying) found.set(c.id, c);
  // Each player once: a click's conversions are mostly one player's.
  const players = new Map(
    carrying.filter((c) => c.playerId !== null).map((c) => [`${c.operatorId}:${c.playerId}`, c]),
  );
  for (const c of players.values())
    for (const e of await timeline.playerEvents(c.operatorId, c.playerId!, PLAYER_EVENTS_SHOWN))
      found.set(e.id, e);
  return {
    conversions: [...found.values()].filter((c) => visibleTo(principal, c)).sort((a, b) => byTime(b, a)),
    click: click && (await visibleClick(deps, principal, click)) ? click : undefined,
  };
}
