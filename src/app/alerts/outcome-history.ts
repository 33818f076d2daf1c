/**
 * The operators' hourly outcomes the alert rules learn from, kept in memory between evaluations:
 * the weeks of history are read once, then only the hours that have ended since (the rollup is
 * read by hour, never the whole history every minute). Hours of the history never change once
 * ended: postbacks are counted in the hour they were received.
 */
import type { HourCount } from "../../domain/alerts/rules.ts";
import type { AlertFactsReader, HourOutcomes, OutcomeCounts } from "./alert-port.ts";

const HOUR_MS = 3_600_000;
const NONE: OutcomeCounts = { postbacks: 0, rejected: 0, accepted: 0, unattributed: 0 };

export const addCounts = (a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts => ({
  postbacks: a.postbacks + b.postbacks,
  rejected: a.rejected + b.rejected,
  accepted: a.accepted + b.accepted,
  unattributed: a.unattributed + b.unattributed,
});

export class OutcomeHistory {
  /** Per operator, oldest hour first. */
  private byOperator = new Map<number, HourOutcomes[]>();
  /** The end of what has been read: [from, loadedTo). */
  private loadedTo: number | undefined;
  private readonly facts: AlertFactsReader;
  private readonly spanMs: number;

  constructor(facts: AlertFactsReader, spanMs: number) {
    this.facts = facts;
    this.spanMs = spanMs;
  }

  /** Brings the history up to `to` (the start of the current hour): [to - span, to). */
  async advanceTo(to: number): Promise<void> {
    const from = to - this.spanMs;
    const start = this.loadedTo === undefined || this.loadedTo < from ? from : this.loadedTo;
    if (start < to)
      for (const h of await this.facts.hourlyOutcomes(start, to)) {
        const list = this.byOperator.get(h.operatorId);
        if (list) list.push(h);
        else this.byOperator.set(h.operatorId, [h]);
      }
    this.loadedTo = to;
    for (const [id, list] of this.byOperator) {
      const kept = list.filter((h) => h.hour >= from).sort((a, b) => a.hour - b.hour);
      if (kept.length) this.byOperator.set(id, kept);
      else this.byOperator.delete(id);
    }
  }

  /** Postbacks per hour of one operator in [from, to), for the silence rates. */
  countsOf(operatorId: number, from: number, to: number): HourCount[] {
    return (this.byOperator.get(operatorId) ?? [])
      .filter((h) => h.hour >= from && h.hour + HOUR_MS <= to)
      .map((h) => ({ hour: h.hour, count: h.postbacks }));
  }

  /** Outcomes of one operator summed over [from, to). */
  sumOf(operatorId: number, from: number, to: number): OutcomeCounts {
    let sum = NONE;
    for (const h of this.byOperator.get(operatorId) ?? [])
      if (h.hour >= from && h.hour < to) sum = addCounts(sum, h);
    return sum;
  }
}
