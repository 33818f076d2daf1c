/**
 * The affiliate's own view (issue: Console II): GET /clicks, /conversions and /commissions. Each
 * reads through the API's use cases with the viewer's principal (listClicks, listConversions,
 * scopedLedgerFilter and the entries it narrows, balancesByPeriod), so an affiliate key sees its own
 * rows and nothing else, whatever the URL says. Clicks and conversions serve every role as the API
 * does; commissions, admin and affiliate keys (an operator key would have to name a program).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pageOf, textAfter, timeBefore } from "../adapters/http/cursor.ts";
import type { AdminDeps } from "../app/admin/deps.ts";
import { listLinks } from "../app/admin/links.ts";
import { listClicks, listConversions } from "../app/admin/records.ts";
import { balancesByPeriod, scopedLedgerFilter } from "../app/commissions/admin-commissions.ts";
import { ENTRY_STATUSES, type EntryStatus } from "../app/commissions/ledger-port.ts";
import type { TimeKey } from "../app/records.ts";
import { addMonths, isLocalDate, startOfLocalDate } from "../domain/calendar.ts";
import { periodOf } from "../domain/commissions/exact.ts";
import { type ConsoleKit, viewerWithRole } from "./console-kit.ts";
import { localTimeRange, recordId } from "./form-values.ts";
import type { Viewer } from "./layout.ts";
import { type CommissionsQuery, commissionsPage } from "./pages/commissions.ts";
import { clicksPage, conversionsPage, type ListQuery, type ListResult } from "./pages/own-records.ts";

export const OWN_PAGE_PATHS: readonly string[] = ["/clicks", "/conversions", "/commissions"];

/** Rows per page of the clicks and conversions lists, and of ledger entries. */
const PAGE = 50;
/** Months of balances shown, the current one first. */
const MONTHS = 12;

/**
 * The filters of a report's line (pages/reports.ts links each line here): its affiliate, program
 * and the local dates of the event's time; what is not a valid id or date is ignored.
 */
function reportLineOf(q: ListQuery, zone: string) {
  const day = (text: string | undefined) =>
    text && isLocalDate(text) ? startOfLocalDate(text, zone) : undefined;
  const [affiliateId, programId] = [recordId(q.affiliate_id), recordId(q.program_id)];
  const [occurredSince, occurredUntil] = [day(q.occurred_from), day(q.occurred_until)];
  return {
    ...(affiliateId === undefined ? {} : { affiliateId }),
    ...(programId === undefined ? {} : { programId }),
    ...(occurredSince === undefined ? {} : { occurredSince }),
    ...(occurredUntil === undefined ? {} : { occurredUntil }),
  };
}

/**
 * A page of a newest-first list: `load` reads it with the time filters, the cursor and the page
 * size; nothing is read when a filter cannot be.
 */
async function newestFirst<Row>(
  q: ListQuery,
  viewer: Viewer,
  load: (range: { since?: number; until?: number; before?: TimeKey; limit: number }) => Promise<Row[]>,
  position: (row: Row) => [number, string],
): Promise<ListResult<Row>> {
  const { range, problems } = localTimeRange(q, viewer.timeZone);
  const before = timeBefore(q.cursor || undefined);
  const rows = problems.length ? [] : await load({ ...range, ...(before ? { before } : {}), limit: PAGE });
  return { rows, next: pageOf(rows, PAGE, (r) => r, position).next_cursor, problems };
}

/** The ledger's periods (UTC months, periodOf) ending with the one holding `now`, newest first. */
export function monthsUpTo(now: number, count: number): string[] {
  const current = periodOf(now);
  return Array.from({ length: count }, (_, i) => addMonths(current, -i));
}

export async function ownPages(app: FastifyInstance, deps: AdminDeps, kit: ConsoleKit): Promise<void> {
  const anyViewer = (request: FastifyRequest, reply: FastifyReply) =>
    viewerWithRole(kit, request, reply, ["admin", "operator", "affiliate"]);

  app.get<{ Querystring: ListQuery }>("/clicks", async (request, reply) => {
    const viewer = await anyViewer(request, reply);
    if (!viewer) return reply;
    const q = request.query;
    const p = viewer.principal;
    const linkId = recordId(q.link_id);
    const links = await listLinks(deps, p, { limit: 1000 });
    const { rows, next, problems } = await newestFirst(
      q,
      viewer,
      (range) => listClicks(deps, p, { ...range, linkId }),
      (r) => [r.createdAt, r.clickId],
    );
    return kit.sendPage(reply, clicksPage({ rows, next, problems }, links, viewer, q));
  });

  app.get<{ Querystring: ListQuery }>("/conversions", async (request, reply) => {
    const viewer = await anyViewer(request, reply);
    if (!viewer) return reply;
    const q = request.query;
    const { rows, next, problems } = await newestFirst(
      q,
      viewer,
      (range) => listConversions(deps, viewer.principal, { ...range, ...reportLineOf(q, viewer.timeZone) }),
      (r) => [r.receivedAt, r.id],
    );
    return kit.sendPage(reply, conversionsPage({ rows, next, problems }, viewer, q));
  });

  app.get<{ Querystring: CommissionsQuery }>("/commissions", async (request, reply) => {
    const viewer = await viewerWithRole(kit, request, reply, ["admin", "affiliate"]);
    if (!viewer) return reply;
    const q = request.query;
    const months = monthsUpTo(deps.clock.now(), MONTHS);
    const period = q.period && /^[0-9]{4}-(0[1-9]|1[0-2])$/.test(q.period) ? q.period : undefined;
    const status = (ENTRY_STATUSES as readonly string[]).includes(q.status ?? "")
      ? (q.status as EntryStatus)
      : undefined;
    const after = textAfter(q.cursor || undefined);
    const filter = await scopedLedgerFilter(deps, viewer.principal, {
      ...(period ? { period } : {}),
      ...(status ? { status } : {}),
      ...(after === undefined ? {} : { after }),
      limit: PAGE,
    });
    const entries = await deps.store.commissions.listEntries(filter);
    const next = pageOf(
      entries,
      PAGE,
      (e) => e,
      (e) => [e.id],
    ).next_cursor;
    const periods = await balancesByPeriod(deps, viewer.principal, months);
    return kit.sendPage(reply, commissionsPage({ periods, entries, next, months }, viewer, q));
  });
}
