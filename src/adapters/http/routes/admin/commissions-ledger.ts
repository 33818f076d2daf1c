/**
 * /v1/commissions (ledger entries, as JSON pages or a CSV export), /v1/commissions/balances and
 * /v1/commissions/payouts: reading the ledger and paying it out.
 */

import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import Type, { type Static } from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import {
  listPayouts,
  markPeriodPaid,
  scopedLedgerFilter,
} from "../../../../app/commissions/admin-commissions.ts";
import type { LedgerFilter } from "../../../../app/commissions/commission-store-port.ts";
import { ENTRY_STATUSES } from "../../../../app/commissions/ledger-port.ts";
import { PostwireError } from "../../../../domain/errors.ts";
import { principalOf } from "../../api-auth.ts";
import { attachmentNamed } from "../../csv.ts";
import { invalidCursor, pageOf, textAfter, wholeList } from "../../cursor.ts";
import { typed } from "../../type-provider.ts";
import {
  ENTRIES_CSV_HEADER,
  ENTRY,
  entriesCsvLines,
  entryJson,
  PAYOUT,
  payoutJson,
} from "./commissions-json.ts";
import { adminSchema, CURSOR, ID, LIMIT, listOf, OneOf, Strict } from "./schemas.ts";

const TAGS = ["commissions"];
const PERIOD = Type.String({ pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$" });
const OPTIONAL_ID = Type.Optional(ID);

const BALANCE_FILTER = { affiliate_id: OPTIONAL_ID, program_id: OPTIONAL_ID, period: Type.Optional(PERIOD) };
const ENTRY_FILTER = {
  ...BALANCE_FILTER,
  status: Type.Optional(OneOf(ENTRY_STATUSES)),
  conversion_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  cursor: Type.Optional(CURSOR),
};
/** Entries in id order; a page holds up to 10 000 of them. */
const FILTER = Strict({
  ...ENTRY_FILTER,
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
});
/** The export reads every matching entry unless given a limit. */
const CSV_FILTER = Strict({
  ...ENTRY_FILTER,
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10_000_000, description: "At most this many rows." }),
  ),
});
type FilterQuery = Static<typeof CSV_FILTER>;
const filterOf = (q: FilterQuery): LedgerFilter => ({
  ...(q.affiliate_id === undefined ? {} : { affiliateId: q.affiliate_id }),
  ...(q.program_id === undefined ? {} : { programId: q.program_id }),
  ...(q.period === undefined ? {} : { period: q.period }),
  ...(q.status === undefined ? {} : { status: q.status }),
  ...(q.conversion_id === undefined ? {} : { conversionId: q.conversion_id }),
  ...(q.cursor === undefined ? {} : { after: textAfter(q.cursor) }),
  ...(q.limit === undefined ? {} : { limit: q.limit }),
});

/** Rows per page of an export. */
const EXPORT_PAGE = 1000;

/** The header, then the entries matching `filter` page by page in id order, up to its limit. */
async function* csvPages(deps: AdminDeps, filter: LedgerFilter): AsyncGenerator<string> {
  yield ENTRIES_CSV_HEADER;
  let left = filter.limit ?? Number.POSITIVE_INFINITY;
  let after = filter.after;
  while (left > 0) {
    const want = Math.min(EXPORT_PAGE, left);
    const page = await deps.store.commissions.listEntries({
      ...filter,
      ...(after === undefined ? {} : { after }),
      limit: want,
    });
    if (page.length) yield entriesCsvLines(page);
    if (page.length < want) return;
    left -= page.length;
    after = page.at(-1)!.id;
  }
}

function ledger(app: FastifyInstance, deps: AdminDeps): void {
  const entries = adminSchema({
    summary: "Ledger entries (an affiliate key sees its own)",
    tags: TAGS,
    querystring: FILTER,
    response: { 200: listOf(ENTRY) },
  });
  typed(app).get("/commissions", { schema: entries }, async (request) => {
    const filter = await scopedLedgerFilter(deps, principalOf(request), filterOf(request.query));
    const rows = await deps.store.commissions.listEntries(filter);
    return pageOf(rows, request.query.limit, entryJson, (e) => [e.id]);
  });
  const csv = adminSchema({
    summary: "Ledger entries as CSV",
    tags: TAGS,
    querystring: CSV_FILTER,
    response: {
      200: {
        description: "RFC 4180 CSV, a header line first; X-Export-Limit echoes a limit.",
        content: { "text/csv": { schema: Type.String() } },
      },
    },
  });
  typed(app).get("/commissions.csv", { schema: csv }, async (request, reply) => {
    const filter = await scopedLedgerFilter(deps, principalOf(request), filterOf(request.query));
    // Every matching entry (or the first `limit`), read and sent a page at a time: memory stays
    // flat however long the ledger, and the event loop serves others between pages.
    if (filter.limit !== undefined) reply.header("x-export-limit", String(filter.limit));
    // A stream, which the typed reply (it takes what the schema describes: a string) does not name.
    return (reply as FastifyReply)
      .type("text/csv; charset=utf-8")
      .header("content-disposition", attachmentNamed("commissions.csv"))
      .send(Readable.from(csvPages(deps, filter)));
  });
  const BALANCE = Type.Object({
    affiliate_id: ID,
    currency: Type.String(),
    pending_minor: Type.Integer(),
    approved_minor: Type.Integer(),
    paid_minor: Type.Integer(),
    reversed_minor: Type.Integer(),
  });
  const balances = adminSchema({
    summary: "Balances per affiliate and currency (approved = next payout)",
    tags: TAGS,
    querystring: Strict(BALANCE_FILTER),
    response: { 200: listOf(BALANCE) },
  });
  typed(app).get("/commissions/balances", { schema: balances }, async (request) => {
    const f = await scopedLedgerFilter(deps, principalOf(request), filterOf(request.query));
    const rows = await deps.store.commissions.balances({
      ...(f.affiliateId === undefined ? {} : { affiliateId: f.affiliateId }),
      ...(f.programId === undefined ? {} : { programId: f.programId }),
      ...(f.period === undefined ? {} : { period: f.period }),
    });
    return wholeList(rows, (b) => ({
      affiliate_id: b.affiliateId,
      currency: b.currency,
      pending_minor: b.pendingMinor,
      approved_minor: b.approvedMinor,
      paid_minor: b.paidMinor,
      reversed_minor: b.reversedMinor,
    }));
  });
}

const PAYOUT_FILTER = Strict({ ...BALANCE_FILTER, limit: LIMIT, cursor: Type.Optional(CURSOR) });

function payouts(app: FastifyInstance, deps: AdminDeps): void {
  const pay = adminSchema({
    summary: "Mark a period (and earlier) paid: one payout per affiliate and currency",
    tags: TAGS,
    body: Strict({ period: PERIOD, affiliate_id: OPTIONAL_ID }),
    response: { 201: listOf(PAYOUT) },
  });
  typed(app).post("/commissions/payouts", { schema: pay }, async (request, reply) => {
    const paid = await markPeriodPaid(
      deps,
      principalOf(request),
      request.body.period,
      request.body.affiliate_id,
    );
    return reply.status(201).send(wholeList(paid, payoutJson));
  });
  const all = adminSchema({
    summary:
      "Payouts, newest first (affiliate key: its own; operator key: its named program's share of each)",
    tags: TAGS,
    querystring: PAYOUT_FILTER,
    response: { 200: listOf(PAYOUT) },
  });
  typed(app).get("/commissions/payouts", { schema: all }, async (request) => {
    const q = request.query;
    const before = textAfter(q.cursor);
    const rows = await listPayouts(deps, principalOf(request), {
      ...(q.affiliate_id === undefined ? {} : { affiliateId: q.affiliate_id }),
      ...(q.program_id === undefined ? {} : { programId: q.program_id }),
      ...(q.period === undefined ? {} : { period: q.period }),
      ...(before === undefined ? {} : { before }),
      limit: q.limit,
    }).catch((error: unknown) => {
      // The use case refuses a payout outside this listing by its own parameter's name.
      if (error instanceof PostwireError && error.field === "before") throw invalidCursor();
      throw error;
    });
    return pageOf(rows, q.limit, payoutJson, (p) => [p.id]);
  });
}

export function ledgerRoutes(app: FastifyInstance, deps: AdminDeps): void {
  ledger(app, deps);
  payouts(app, deps);
}
