/** The stats and reports answers: TypeBox schemas (OpenAPI) and the mapping from the use cases. */
import Type from "typebox";
import type { OutcomeSummary } from "../../../../app/stats/outcome-summary.ts";
import type { Overview } from "../../../../app/stats/overview.ts";
import type { CodeCount, ProgramStats } from "../../../../app/stats/program-stats.ts";
import type { Report } from "../../../../app/stats/reports.ts";
import { formatMinor } from "../../../../domain/money.ts";
import { ID, iso, isoOrNull, NAME, Nullable, TIME } from "./schemas.ts";

const COUNT = Type.Integer({ minimum: 0 });
const MICROS = Nullable(Type.Integer(), {
  description: "µs: the upper bound of the latency histogram bucket holding the percentile (docs/api.md).",
});

const SUMMARY = Type.Object({
  accepted: COUNT,
  unattributed: COUNT,
  test: COUNT,
  duplicate: COUNT,
  rejected: COUNT,
  total: COUNT,
  rejection_rate: Type.Number({ minimum: 0, maximum: 1 }),
  latency_p50_us: MICROS,
  latency_p95_us: MICROS,
  latency_p99_us: MICROS,
});

const summaryJson = (s: OutcomeSummary) => ({
  accepted: s.accepted,
  unattributed: s.unattributed,
  test: s.test,
  duplicate: s.duplicate,
  rejected: s.rejected,
  total: s.total,
  rejection_rate: s.rejectionRate,
  latency_p50_us: s.p50Us,
  latency_p95_us: s.p95Us,
  latency_p99_us: s.p99Us,
});

const NAMED = Type.Object({ id: ID, name: Type.String() });

export const OVERVIEW = Type.Object({
  generated_at: TIME,
  data: Type.Array(
    Type.Object({
      operator: NAMED,
      program: Nullable(NAMED, {
        description: "null: the operator's requests refused before a program was known.",
      }),
      last_24h: SUMMARY,
      last_7d: SUMMARY,
      deliveries_7d: Type.Object({ ok: COUNT, failing: COUNT, dead: COUNT }),
      last_postback_at: Nullable(TIME),
      last_accepted_at: Nullable(TIME),
      silent: Type.Boolean({ description: "No postback from the operator in the last 24 hours." }),
    }),
  ),
});

export function overviewJson(overview: Overview) {
  return {
    generated_at: iso(overview.generatedAt),
    data: overview.rows.map((r) => ({
      operator: r.operator,
      program: r.program,
      last_24h: summaryJson(r.day),
      last_7d: summaryJson(r.week),
      deliveries_7d: r.deliveries,
      last_postback_at: isoOrNull(r.lastPostbackAt),
      last_accepted_at: isoOrNull(r.lastAcceptedAt),
      silent: r.silent,
    })),
  };
}

const CODE_COUNT = Type.Object({
  code: Type.String(),
  count: COUNT,
  previous: Type.Integer({ minimum: 0, description: "The same over the range of equal length just before." }),
});
const codesJson = (list: readonly CodeCount[]) =>
  list.map((c) => ({ code: c.code, count: c.count, previous: c.previous }));

export const PROGRAM_STATS = Type.Object({
  program: Type.Object({ id: ID, name: NAME, operator_id: ID }),
  from: TIME,
  to: TIME,
  totals: SUMMARY,
  hours: Type.Array(Type.Intersect([Type.Object({ hour: TIME }), SUMMARY])),
  rejected_by_code: Type.Array(CODE_COUNT),
  unattributed_by_reason: Type.Array(CODE_COUNT),
  operator_rejected_by_code: Type.Array(CODE_COUNT, {
    description: "The operator's requests refused before any program was known (counted under no program).",
  }),
});

export function programStatsJson(stats: ProgramStats) {
  return {
    program: { id: stats.program.id, name: stats.program.name, operator_id: stats.program.operatorId },
    from: iso(stats.from),
    to: iso(stats.to),
    totals: summaryJson(stats.totals),
    hours: stats.hours.map((h) => ({ hour: iso(h.hourAt), ...summaryJson(h) })),
    rejected_by_code: codesJson(stats.rejectedByCode),
    unattributed_by_reason: codesJson(stats.unattributedByReason),
    operator_rejected_by_code: codesJson(stats.operatorRejectedByCode),
  };
}

const DECIMAL = Type.String({ description: 'Decimal amount in the currency\'s units ("120.50").' });

export const REPORT = Type.Object({
  from: Type.String({ format: "date" }),
  to: Type.String({ format: "date" }),
  group_by: Type.String(),
  time_zone: Type.String(),
  data: Type.Array(
    Type.Object({
      period: Type.String({ description: "The period's first local date, or its month (YYYY-MM)." }),
      affiliate: NAMED,
      program: NAMED,
      clicks: COUNT,
      conversions: COUNT,
      events: Type.Record(Type.String(), COUNT),
      first_deposits: COUNT,
      qualified_traders: COUNT,
      challenge_purchases: COUNT,
      amounts: Type.Array(
        Type.Object({ currency: Type.String(), amount: DECIMAL, amount_minor: Type.Integer() }),
      ),
      commissions: Type.Array(
        Type.Object({
          currency: Type.String(),
          pending: DECIMAL,
          approved: DECIMAL,
          reversed: DECIMAL,
          paid: DECIMAL,
        }),
      ),
    }),
  ),
});

export function reportJson(report: Report) {
  const { from, to, groupBy, timeZone } = report.input;
  return {
    from,
    to,
    group_by: groupBy,
    time_zone: timeZone,
    data: report.rows.map((r) => ({
      period: r.period,
      affiliate: r.affiliate,
      program: r.program,
      clicks: r.clicks,
      conversions: r.conversions,
      events: r.events,
      first_deposits: r.firstDeposits,
      qualified_traders: r.qualifiedTraders,
      challenge_purchases: r.challengePurchases,
      amounts: r.amounts.map((a) => ({
        currency: a.currency,
        amount: formatMinor(a.amountMinor, a.currency),
        amount_minor: a.amountMinor,
      })),
      commissions: r.commissions.map((c) => ({
        currency: c.currency,
        pending: formatMinor(c.pendingMinor, c.currency),
        approved: formatMinor(c.approvedMinor, c.currency),
        reversed: formatMinor(c.reversedMinor, c.currency),
        paid: formatMinor(c.paidMinor, c.currency),
      })),
    })),
  };
}
