/**
 * The overview (console `/`, GET /v1/stats/overview): every program the caller sees, worst first,
 * with the last 24 hours and 7 days of postbacks, outbound deliveries and the operator's last
 * postback, so a failing program or a silent operator shows at the top.
 */
import type { Operator, Principal, Program } from "../../domain/model.ts";
import type { AdminDeps } from "../admin/deps.ts";
import { allowRoles } from "../admin/scope.ts";
import { groupBy, type OutcomeSummary, summarise } from "./outcome-summary.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface OverviewRow {
  readonly operator: Pick<Operator, "id" | "name">;
  /** Null: the operator's requests that named no known program (refused before one was known). */
  readonly program: Pick<Program, "id" | "name"> | null;
  readonly day: OutcomeSummary;
  readonly week: OutcomeSummary;
  readonly deliveries: { readonly ok: number; readonly failing: number; readonly dead: number };
  readonly lastPostbackAt: number | null;
  readonly lastAcceptedAt: number | null;
  /** No postback in the last 24 hours. */
  readonly silent: boolean;
}

export interface Overview {
  readonly generatedAt: number;
  readonly rows: readonly OverviewRow[];
}

/** Every row of a list the store pages by id. */
export async function allOf<T extends { id: number }>(
  page: (after: number | undefined) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let after: number | undefined; ; ) {
    const rows = await page(after);
    out.push(...rows);
    if (rows.length < 500) return out;
    after = rows.at(-1)!.id;
  }
}

/** Worst first: rejection rate today, then dead and failing deliveries, silence, this week's rate. */
function worstFirst(a: OverviewRow, b: OverviewRow): number {
  return (
    b.day.rejectionRate - a.day.rejectionRate ||
    b.deliveries.dead - a.deliveries.dead ||
    b.deliveries.failing - a.deliveries.failing ||
    Number(b.silent) - Number(a.silent) ||
    b.week.rejectionRate - a.week.rejectionRate ||
    a.operator.name.localeCompare(b.operator.name) ||
    (a.program?.id ?? 0) - (b.program?.id ?? 0)
  );
}

export async function getOverview(deps: AdminDeps, principal: Principal): Promise<Overview> {
  allowRoles(principal, "admin", "operator");
  const operatorId = principal.role === "operator" ? (principal.operatorId ?? -1) : undefined;
  const now = deps.clock.now();
  const hourEnd = now - (now % HOUR) + HOUR;
  const scope = operatorId === undefined ? {} : { operatorId };
  const [operators, programs, week, day, deliveries] = await Promise.all([
    allOf((after) => deps.store.operators.list({ limit: 500, after, ...scope })),
    allOf((after) => deps.store.programs.list({ limit: 500, after, ...scope })),
    deps.store.stats.postbackCounts({ from: hourEnd - 7 * DAY, to: hourEnd, byHour: false, ...scope }),
    deps.store.stats.postbackCounts({ from: hourEnd - DAY, to: hourEnd, byHour: false, ...scope }),
    deps.store.stats.deliveryCounts(now - 7 * DAY),
  ]);
  const activity = await deps.store.operators.activity(operators.map((o) => o.id));
  const byOperator = new Map(operators.map((o) => [o.id, o]));
  const key = (operator: number | null, program: number | null) => `${operator ?? 0}:${program ?? 0}`;
  const programOperator = new Map(programs.map((p) => [p.id, p.operatorId]));
  // A program's postbacks count under it whatever operator the rollup names (its own).
  const keyOf = (r: { operatorId: number | null; programId: number | null }) =>
    key(
      r.programId === null ? r.operatorId : (programOperator.get(r.programId) ?? r.operatorId),
      r.programId,
    );
  const weekBy = groupBy(week, keyOf);
  const dayBy = groupBy(day, keyOf);
  const deliveriesBy = new Map(deliveries.map((d) => [d.programId, d]));
  const rows: OverviewRow[] = [];
  const rowOf = (operator: Operator, program: Program | null): OverviewRow => {
    const seen = activity.get(operator.id);
    const lastPostbackAt = seen?.lastPostbackAt ?? null;
    const d = program ? deliveriesBy.get(program.id) : undefined;
    return {
      operator: { id: operator.id, name: operator.name },
      program: program && { id: program.id, name: program.name },
      day: summarise(dayBy.get(key(operator.id, program?.id ?? null)) ?? []),
      week: summarise(weekBy.get(key(operator.id, program?.id ?? null)) ?? []),
      deliveries: { ok: d?.ok ?? 0, failing: d?.failing ?? 0, dead: d?.dead ?? 0 },
      lastPostbackAt,
      lastAcceptedAt: seen?.lastAcceptedAt ?? null,
      silent: lastPostbackAt === null || lastPostbackAt < now - DAY,
    };
  };
  for (const program of programs) {
    const operator = byOperator.get(program.operatorId);
    if (operator) rows.push(rowOf(operator, program));
  }
  for (const operator of operators) if (weekBy.has(key(operator.id, null))) rows.push(rowOf(operator, null));
  return { generatedAt: now, rows: rows.sort(worstFirst) };
}
