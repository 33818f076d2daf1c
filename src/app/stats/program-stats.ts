/**
 * One program's failure dashboard data (console `/programs/{id}`, GET /v1/stats/programs/{id}):
 * hour buckets over a range of up to 30 days (outcomes and latency percentiles over time), rejected
 * requests by code with the previous range of the same length for the trend, unattributed events
 * by reason, and the operator's requests refused before any program was known.
 */
import { PostwireError } from "../../domain/errors.ts";
import type { Principal, Program } from "../../domain/model.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { getProgram } from "../admin/programs.ts";
import { groupBy, type OutcomeSummary, summarise } from "./outcome-summary.ts";
import type { PostbackCount } from "./stats-port.ts";

const HOUR = 3_600_000;
const MAX_RANGE_DAYS = 30;

interface HourStats extends OutcomeSummary {
  readonly hourAt: number;
}

export interface CodeCount {
  readonly code: string;
  readonly count: number;
  /** The same code over the range of the same length just before (the trend). */
  readonly previous: number;
}

export interface ProgramStats {
  readonly program: Program;
  readonly from: number;
  readonly to: number;
  readonly totals: OutcomeSummary;
  /** Every hour of the range, oldest first, zeros included. */
  readonly hours: readonly HourStats[];
  readonly rejectedByCode: readonly CodeCount[];
  readonly unattributedByReason: readonly CodeCount[];
  /** The operator's requests refused before a program was known (bad signature, unknown field…). */
  readonly operatorRejectedByCode: readonly CodeCount[];
}

/** Hours from `from` (rounded down) to `to` (rounded up), for a range of at most 30 days. */
function hourRange(from: number, to: number): { from: number; to: number } {
  const start = from - (from % HOUR);
  const end = to % HOUR === 0 ? to : to - (to % HOUR) + HOUR;
  if (!(end > start)) throw new PostwireError("invalid_field", "from must be before to.", "from");
  // The range asked for, before its ends are rounded out to whole hours.
  if (to - from > MAX_RANGE_DAYS * 24 * HOUR)
    throw new PostwireError("invalid_field", `The range is at most ${MAX_RANGE_DAYS} days.`, "from");
  return { from: start, to: end };
}

function byCode(
  rows: readonly PostbackCount[],
  previous: readonly PostbackCount[],
  keep: (r: PostbackCount) => boolean,
) {
  const sum = (list: readonly PostbackCount[]) => {
    const out = new Map<string, number>();
    for (const r of list) if (keep(r)) out.set(r.code, (out.get(r.code) ?? 0) + r.count);
    return out;
  };
  const now = sum(rows);
  const before = sum(previous);
  const codes = new Set([...now.keys(), ...before.keys()]);
  return [...codes]
    .map((code) => ({ code, count: now.get(code) ?? 0, previous: before.get(code) ?? 0 }))
    .sort((a, b) => b.count - a.count || b.previous - a.previous || a.code.localeCompare(b.code));
}

export async function getProgramStats(
  deps: AdminDeps,
  principal: Principal,
  programId: number,
  range: { from: number; to: number },
): Promise<ProgramStats> {
  const program = await getProgram(deps, principal, programId);
  const { from, to } = hourRange(range.from, range.to);
  const length = to - from;
  const stats = deps.store.stats;
  const [hourly, previous, operatorWide, operatorPrevious] = await Promise.all([
    stats.postbackCounts({ programId, from, to, byHour: true }),
    stats.postbackCounts({ programId, from: from - length, to: from, byHour: false }),
    stats.postbackCounts({ operatorId: program.operatorId, from, to, byHour: false }),
    stats.postbackCounts({ operatorId: program.operatorId, from: from - length, to: from, byHour: false }),
  ]);
  const perHour = groupBy(hourly, (r) => r.hourAt!);
  const hours: HourStats[] = [];
  for (let at = from; at < to; at += HOUR) hours.push({ hourAt: at, ...summarise(perHour.get(at) ?? []) });
  const unknown = (r: PostbackCount) => r.programId === null && r.outcome === "rejected";
  return {
    program,
    from,
    to,
    totals: summarise(hourly),
    hours,
    rejectedByCode: byCode(hourly, previous, (r) => r.outcome === "rejected"),
    unattributedByReason: byCode(hourly, previous, (r) => r.outcome === "unattributed"),
    operatorRejectedByCode: byCode(operatorWide, operatorPrevious, unknown),
  };
}
