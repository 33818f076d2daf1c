/**
 * CPA qualification rules per vertical (pure). The player's earlier events come in `history`
 * (amounts already in the program currency); the event being decided is `current`.
 */
import type { Qualification } from "./terms.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface PlayerEvent {
  readonly event: string;
  readonly at: number;
  /** In the program currency (deposits, purchases); null when the event has none. */
  readonly amountMinor: number | null;
  readonly lotsMilli: number | null;
}

export interface PlayerHistory {
  /** Earlier events of this player (not test, not reversals), any order. */
  readonly events: readonly PlayerEvent[];
  /** When the player registered: a `registration` event, else when the player was bound. */
  readonly registeredAt: number | null;
}

const DEPOSITS = new Set(["ftd", "deposit"]);

function depositsQualify(
  min: number,
  hours: number | undefined,
  all: readonly PlayerEvent[],
  current: PlayerEvent,
): boolean {
  const deposits = all.filter((e) => DEPOSITS.has(e.event) && e.amountMinor !== null);
  if (!DEPOSITS.has(current.event) || current.amountMinor === null) return false;
  if (hours === undefined) return current.event === "ftd" && current.amountMinor >= min;
  const first = Math.min(...deposits.map((e) => e.at));
  const end = first + hours * HOUR;
  if (current.at > end) return false;
  const total = deposits.filter((e) => e.at <= end).reduce((sum, e) => sum + e.amountMinor!, 0);
  return total >= min;
}

function totalDeposits(all: readonly PlayerEvent[]): number {
  return all.reduce((sum, e) => sum + (DEPOSITS.has(e.event) ? (e.amountMinor ?? 0) : 0), 0);
}

function traderQualifies(
  q: Extract<Qualification, { kind: "qualified_trader" }>,
  all: readonly PlayerEvent[],
  history: PlayerHistory,
  current: PlayerEvent,
): boolean {
  if (q.minDepositMinor !== undefined && totalDeposits(all) < q.minDepositMinor) return false;
  if (all.some((e) => e.event === "qualified_trader")) return true;
  if (!["trade", "ftd", "deposit"].includes(current.event)) return false;
  const start = history.registeredAt ?? Math.min(...all.map((e) => e.at));
  const end = start + q.withinDays * DAY;
  const lots = all
    .filter((e) => e.event === "trade" && e.at >= start && e.at <= end)
    .reduce((sum, e) => sum + (e.lotsMilli ?? 0), 0);
  return lots >= q.minLotsMilli;
}

/** Whether `current` makes a not-yet-qualified player qualify for the CPA. */
export function qualifies(q: Qualification, history: PlayerHistory, current: PlayerEvent): boolean {
  const all = [...history.events, current];
  switch (q.kind) {
    case "ftd":
      return depositsQualify(q.minDepositMinor, q.cumulativeHours, all, current);
    case "qualified_trader":
      return traderQualifies(q, all, history, current);
    case "challenge":
      if (q.alsoEvents?.includes(current.event)) return true;
      return (
        current.event === "challenge_purchase" &&
        current.amountMinor !== null &&
        current.amountMinor >= q.minPriceMinor
      );
  }
}

/** Events that may make a player qualify under `q` (others skip the history load). */
export function qualifyingEvents(q: Qualification): readonly string[] {
  switch (q.kind) {
    case "ftd":
      return q.cumulativeHours === undefined ? ["ftd"] : ["ftd", "deposit"];
    case "qualified_trader":
      return ["qualified_trader", "trade", "ftd", "deposit"];
    case "challenge":
      return ["challenge_purchase", ...(q.alsoEvents ?? [])];
  }
}
