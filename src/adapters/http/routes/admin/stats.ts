/**
 * GET /v1/stats/overview, /v1/stats/programs/{id}, /v1/reports (and its CSV): the aggregates the
 * console draws, read from the rollups (012_rollups.sql), scoped by role like the rest of the API
 * (overview and program stats: admin and operator keys; reports: an affiliate key its own rows too).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { getOverview } from "../../../../app/stats/overview.ts";
import { getProgramStats } from "../../../../app/stats/program-stats.ts";
import { getReport, type Report } from "../../../../app/stats/reports.ts";
import { REPORT_GROUPS } from "../../../../domain/calendar.ts";
import { principalOf } from "../../api-auth.ts";
import { attachmentNamed } from "../../csv.ts";
import { reportCsv, reportFileName } from "../../report-table.ts";
import { typed } from "../../type-provider.ts";
import { adminSchema, ID, idParams, OneOf, Strict } from "./schemas.ts";
import { OVERVIEW, overviewJson, PROGRAM_STATS, programStatsJson, REPORT, reportJson } from "./stats-json.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const RANGE = Strict({
  from: Type.Optional(
    Type.String({
      format: "date-time",
      description: "Start (rounded down to the hour); default: 7 days before to.",
    }),
  ),
  to: Type.Optional(
    Type.String({ format: "date-time", description: "End (rounded up to the hour); default: now." }),
  ),
});

const REPORT_QUERY = Strict({
  from: Type.String({ format: "date", description: "First local date of the report (YYYY-MM-DD)." }),
  to: Type.String({
    format: "date",
    description: "Last local date, included (at most 366 days after from).",
  }),
  group_by: Type.Optional(
    OneOf(REPORT_GROUPS, { default: "day", description: "day, week (from Monday) or month." }),
  ),
  time_zone: Type.Optional(
    Type.String({
      maxLength: 64,
      default: "UTC",
      description: "IANA time zone of the periods (e.g. Asia/Kolkata).",
    }),
  ),
  affiliate_id: Type.Optional(ID),
  program_id: Type.Optional(ID),
  format: Type.Optional(OneOf(["json", "csv"] as const, { description: "csv: as /v1/reports.csv." })),
});

type ReportQuery = {
  from: string;
  to: string;
  group_by?: (typeof REPORT_GROUPS)[number];
  time_zone?: string;
  affiliate_id?: number;
  program_id?: number;
};

const CSV_RESPONSE = {
  description: "RFC 4180 CSV of exactly the report's table (the console's), a header line first.",
  content: { "text/csv": { schema: Type.String() } },
};

function reportOf(deps: AdminDeps, request: FastifyRequest, query: ReportQuery): Promise<Report> {
  return getReport(deps, principalOf(request), {
    from: query.from,
    to: query.to,
    groupBy: query.group_by ?? "day",
    timeZone: query.time_zone ?? "UTC",
    affiliateId: query.affiliate_id,
    programId: query.program_id,
  });
}

function sendCsv(reply: FastifyReply, report: Report): FastifyReply {
  return reply
    .type("text/csv; charset=utf-8")
    .header("content-disposition", attachmentNamed(reportFileName(report)))
    .send(reportCsv(report));
}

export async function statsRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const overview = adminSchema({
    summary: "Every program, worst first: the last 24 hours and 7 days of postbacks, deliveries, silence",
    tags: ["stats"],
    response: { 200: OVERVIEW },
  });
  typed(app).get("/stats/overview", { schema: overview }, async (request) =>
    overviewJson(await getOverview(deps, principalOf(request))),
  );

  const program = adminSchema({
    summary: "One program by hour over up to 30 days: outcomes, latency, rejected by code, unattributed",
    tags: ["stats"],
    params: idParams,
    querystring: RANGE,
    response: { 200: PROGRAM_STATS },
  });
  typed(app).get("/stats/programs/:id", { schema: program }, async (request) => {
    const to = request.query.to ? Date.parse(request.query.to) : deps.clock.now();
    const hourEnd = to % HOUR === 0 ? to : to - (to % HOUR) + HOUR;
    const from = request.query.from ? Date.parse(request.query.from) : hourEnd - 7 * DAY;
    return programStatsJson(
      await getProgramStats(deps, principalOf(request), request.params.id, { from, to }),
    );
  });

  const report = adminSchema({
    summary: "Clicks, conversions, amounts and commissions by affiliate × program × day, week or month",
    description:
      "On the event's time (occurred_at) in `time_zone`. `Accept: text/csv` or `format=csv` answers CSV.",
    tags: ["reports"],
    querystring: REPORT_QUERY,
    response: { 200: REPORT },
  });
  typed(app).get("/reports", { schema: report }, async (request, reply) => {
    const result = await reportOf(deps, request, request.query);
    const csv = request.query.format === "csv" || /\btext\/csv\b/.test(request.headers.accept ?? "");
    if (csv) return sendCsv(reply as FastifyReply, result);
    return reportJson(result);
  });
  const reportCsvSchema = adminSchema({
    summary: "The report as CSV (names and ids, decimal amounts, a download file name)",
    tags: ["reports"],
    querystring: REPORT_QUERY,
    response: { 200: CSV_RESPONSE },
  });
  typed(app).get("/reports.csv", { schema: reportCsvSchema }, async (request, reply) =>
    sendCsv(reply as FastifyReply, await reportOf(deps, request, request.query)),
  );
}
