/**
 * The report statements of a year by week and by month (stats-store.ts STATS_SQL.report, every
 * scope an admin key reads: all affiliates and programs) on a database seeded by bench/reads.ts
 * (`--keep`), timed in the database's own client, apart from HTTP and from the rest of the page.
 * On PostgreSQL each is run with index-only scans allowed and not (`enable_indexonlyscan`),
 * interleaved, so the covering indexes of 019_rollup_slots.sql are compared with the index scans
 * and table fetches they replaced in the same run; medians and p95 over `--requests` runs each.
 *
 *   node bench/report-reads.ts --url postgres://…/postwire_bench_… [--requests 15]
 *   node bench/report-reads.ts --url sqlite:/tmp/postwire-bench-…/bench.db
 */
import { parseArgs } from "node:util";
import { openDriver } from "../src/adapters/storage/open-driver.ts";
import { reportParams, STATS_SQL } from "../src/adapters/storage/stats-store.ts";
import { addDays, periodOf, type ReportGroup, startOfLocalDate } from "../src/domain/calendar.ts";
import { percentile } from "./stats.ts";

const { values: opts } = parseArgs({
  options: { url: { type: "string" }, requests: { type: "string", default: "15" } },
});
if (!opts.url) throw new Error("--url is required");
const db = openDriver(opts.url, { postgresQueryTimeoutMs: 600_000 });
const today = new Date().toISOString().slice(0, 10);

/** The periods of a report from a year ago to today, as app/stats/reports.ts makes them (UTC). */
function periodsOf(group: ReportGroup) {
  const periods: Array<{ start: number; end: number; label: string }> = [];
  for (let date = addDays(today, -364); date <= today; date = addDays(date, 1)) {
    const start = startOfLocalDate(date, "UTC");
    const end = startOfLocalDate(addDays(date, 1), "UTC");
    const label = periodOf(start, "UTC", group);
    const last = periods.at(-1);
    if (last?.label === label) periods[periods.length - 1] = { ...last, end };
    else periods.push({ start, end, label });
  }
  return periods;
}

const variants = db.engine === "postgres" ? ["index-only", "no index-only"] : ["as planned"];
const times = new Map<string, number[]>();
for (let i = 0; i < Number(opts.requests); i++)
  for (const group of ["week", "month"] as const) {
    const periods = periodsOf(group);
    const query = { periods, from: periods[0]!.start, to: periods.at(-1)!.end };
    for (const variant of variants)
      for (const table of ["report_activity", "report_commissions"] as const) {
        const sql = STATS_SQL.report(table, query);
        const params = reportParams(table, query);
        const ms = await db.transaction(async (tx) => {
          if (variant === "no index-only") await tx.run("SET LOCAL enable_indexonlyscan = off");
          const t0 = performance.now();
          await tx.all(sql, params);
          return performance.now() - t0;
        });
        const key = `${group} | ${table} | ${variant}`;
        times.set(key, [...(times.get(key) ?? []), ms]);
      }
  }
process.stdout.write(
  `\nreport statements, a year, ${db.engine}, ${opts.requests} runs each, interleaved (ms):\n`,
);
process.stdout.write("| by | table | plan | p50 | p95 |\n|---|---|---|---|---|\n");
for (const [key, samples] of times) {
  samples.sort((a, b) => a - b);
  process.stdout.write(
    `| ${key} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} |\n`,
  );
}
await db.close();
