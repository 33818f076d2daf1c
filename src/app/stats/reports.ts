/**
 * Reports (console `/reports`, GET /v1/reports): clicks, conversions by event type, first
 * deposits / qualified traders / challenge purchases, amounts and commissions by status, per
 * affiliate × program × day, week or month of the event's time (occurred_at) in an IANA time zone.
 * Read from the 15-minute rollups: every zone's periods are whole buckets (domain/calendar.ts).
 */
import { addDays, isLocalDate, periodOf, type ReportGroup, startOfLocalDate } from "../../domain/calendar.ts";
import { PostwireError } from "../../domain/errors.ts";
import type { Principal } from "../../domain/model.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { notFound } from "../admin/scope.ts";
import { allOf } from "./overview.ts";
import type { ReportPeriod, ReportQuery } from "./stats-port.ts";

const MAX_REPORT_DAYS = 366;
const COMMISSION_STATUSES = ["pending", "approved", "reversed", "paid"] as const;

export interface ReportInput {
  /** First and last local dates ("YYYY-MM-DD"), both included. */
  readonly from: string;
  readonly to: string;
  readonly groupBy: ReportGroup;
  readonly timeZone: string;
  readonly affiliateId?: number | undefined;
  readonly programId?: number | undefined;
}

interface CommissionLine {
  readonly currency: string;
  readonly pendingMinor: number;
  readonly approvedMinor: number;
  readonly reversedMinor: number;
  readonly paidMinor: number;
}

interface ReportRow {
  /** The period's first local date ("2026-12-07"), or its month ("2026-12"). */
  readonly period: string;
  readonly affiliate: { readonly id: number; readonly name: string };
  readonly program: { readonly id: number; readonly name: string };
  readonly clicks: number;
  /** Conversions (not clicks) by event type. */
  readonly events: Readonly<Record<string, number>>;
  readonly conversions: number;
  readonly firstDeposits: number;
  readonly qualifiedTraders: number;
  readonly challengePurchases: number;
  /** Amounts of the events, per currency. */
  readonly amounts: ReadonlyArray<{ readonly currency: string; readonly amountMinor: number }>;
  readonly commissions: readonly CommissionLine[];
}

export interface Report {
  readonly input: ReportInput;
  readonly rows: readonly ReportRow[];
}

interface Building {
  period: string;
  affiliateId: number;
  programId: number;
  clicks: number;
  events: Record<string, number>;
  amounts: Map<string, number>;
  commissions: Map<string, Record<(typeof COMMISSION_STATUSES)[number], number>>;
}

/** The caller's scope: an affiliate key its own rows, an operator key its programs' rows. */
async function scopeOf(deps: AdminDeps, principal: Principal, input: ReportInput) {
  let affiliateId = input.affiliateId;
  if (principal.role === "affiliate") {
    if (affiliateId !== undefined && affiliateId !== principal.affiliateId)
      throw notFound("Affiliate", affiliateId);
    affiliateId = principal.affiliateId ?? -1;
  }
  let programIds: number[] | undefined;
  if (input.programId !== undefined) {
    const program = await deps.store.programs.get(input.programId);
    const seen = program && (principal.role !== "operator" || program.operatorId === principal.operatorId);
    if (!seen) throw notFound("Program", input.programId);
    programIds = [input.programId];
  } else if (principal.role === "operator") {
    const own = await allOf((after) =>
      deps.store.programs.list({ limit: 500, after, operatorId: principal.operatorId ?? -1 }),
    );
    programIds = own.map((p) => p.id);
  }
  return { affiliateId, programIds };
}

function checkInput(input: ReportInput): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone: input.timeZone });
  } catch {
    throw new PostwireError("invalid_field", "time_zone must be an IANA time zone.", "time_zone");
  }
  for (const field of ["from", "to"] as const)
    if (!isLocalDate(input[field]))
      throw new PostwireError("invalid_field", `${field} must be a date written YYYY-MM-DD.`, field);
  if (input.to < input.from) throw new PostwireError("invalid_field", "to must not be before from.", "to");
  if (addDays(input.from, MAX_REPORT_DAYS) <= input.to)
    throw new PostwireError("invalid_field", `A report spans at most ${MAX_REPORT_DAYS} days.`, "to");
}

/** The report's periods, in order: local dates from…to grouped by day, week or month. */
function periodsOf(input: ReportInput): ReportPeriod[] {
  const periods: ReportPeriod[] = [];
  for (let date = input.from; date <= input.to; date = addDays(date, 1)) {
    const start = startOfLocalDate(date, input.timeZone);
    const end = startOfLocalDate(addDays(date, 1), input.timeZone);
    const label = periodOf(start, input.timeZone, input.groupBy);
    const last = periods.at(-1);
    if (last?.label === label) periods[periods.length - 1] = { ...last, end };
    else periods.push({ start, end, label });
  }
  return periods;
}

export async function getReport(deps: AdminDeps, principal: Principal, input: ReportInput): Promise<Report> {
  checkInput(input);
  const scope = await scopeOf(deps, principal, input);
  const periods = periodsOf(input);
  const query: ReportQuery = {
    from: periods[0]!.start,
    to: periods.at(-1)!.end,
    periods,
    ...(scope.affiliateId === undefined ? {} : { affiliateId: scope.affiliateId }),
    ...(scope.programIds === undefined ? {} : { programIds: scope.programIds }),
  };
  const [activity, commissions] = await Promise.all([
    deps.store.stats.reportActivity(query),
    deps.store.stats.reportCommissions(query),
  ]);
  const rows = new Map<string, Building>();
  const rowOf = (period: string, affiliateId: number, programId: number): Building => {
    const key = `${period}|${affiliateId}|${programId}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        period,
        affiliateId,
        programId,
        clicks: 0,
        events: {},
        amounts: new Map(),
        commissions: new Map(),
      };
      rows.set(key, row);
    }
    return row;
  };
  for (const a of activity) {
    const row = rowOf(a.period, a.affiliateId, a.programId);
    if (a.event === "click") row.clicks += a.count;
    else row.events[a.event] = (row.events[a.event] ?? 0) + a.count;
    if (a.currency) row.amounts.set(a.currency, (row.amounts.get(a.currency) ?? 0) + a.amountMinor);
  }
  for (const c of commissions) {
    const row = rowOf(c.period, c.affiliateId, c.programId);
    const line = row.commissions.get(c.currency) ?? { pending: 0, approved: 0, reversed: 0, paid: 0 };
    row.commissions.set(c.currency, line);
    if (c.status in line) line[c.status as keyof typeof line] += c.amountMinor;
  }
  return { input, rows: await named(deps, [...rows.values()]) };
}

async function named(deps: AdminDeps, rows: readonly Building[]): Promise<ReportRow[]> {
  const names = async (ids: Iterable<number>, get: (id: number) => Promise<{ name: string } | undefined>) => {
    const out = new Map<number, string>();
    for (const id of new Set(ids)) out.set(id, (await get(id))?.name ?? `#${id}`);
    return out;
  };
  const affiliates = await names(
    rows.map((r) => r.affiliateId),
    (id) => deps.store.affiliates.get(id),
  );
  const programs = await names(
    rows.map((r) => r.programId),
    (id) => deps.store.programs.get(id),
  );
  const sorted = [...rows].sort(
    (a, b) =>
      a.period.localeCompare(b.period) ||
      affiliates.get(a.affiliateId)!.localeCompare(affiliates.get(b.affiliateId)!) ||
      a.affiliateId - b.affiliateId ||
      programs.get(a.programId)!.localeCompare(programs.get(b.programId)!) ||
      a.programId - b.programId,
  );
  const byCurrency = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  return sorted.map((r) => ({
    period: r.period,
    affiliate: { id: r.affiliateId, name: affiliates.get(r.affiliateId)! },
    program: { id: r.programId, name: programs.get(r.programId)! },
    clicks: r.clicks,
    events: r.events,
    conversions: Object.values(r.events).reduce((a, b) => a + b, 0),
    firstDeposits: r.events["ftd"] ?? 0,
    qualifiedTraders: r.events["qualified_trader"] ?? 0,
    challengePurchases: r.events["challenge_purchase"] ?? 0,
    amounts: byCurrency(r.amounts).map(([currency, amountMinor]) => ({ currency, amountMinor })),
    commissions: byCurrency(r.commissions).map(([currency, l]) => ({
      currency,
      pendingMinor: l.pending,
      approvedMinor: l.approved,
      reversedMinor: l.reversed,
      paidMinor: l.paid,
    })),
  }));
}
