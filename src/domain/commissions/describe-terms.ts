/**
 * A plan in words (issue: commissions that start right): each component as a manager reads it,
 * "100.00 EUR CPA on a first deposit of at least 20.00 EUR, clawed back if reversed within 30
 * days", in the program's currency. Pure: the console shows it next to the plan it describes.
 */
import { formatMinor } from "../money.ts";
import type { Qualification, Terms } from "./terms.ts";

const money = (minor: number, currency: string) => `${formatMinor(minor, currency)} ${currency}`;
const percent = (bps: number) => `${bps / 100} %`;
const days = (n: number) => (n === 1 ? "1 day" : `${n} days`);
const lots = (milli: number) => `${milli / 1000} ${milli === 1000 ? "lot" : "lots"}`;

function qualificationText(q: Qualification, currency: string): string {
  switch (q.kind) {
    case "ftd":
      return `a first deposit of at least ${money(q.minDepositMinor, currency)}${
        q.cumulativeHours ? ` (deposits within ${q.cumulativeHours} h of the first count together)` : ""
      }`;
    case "qualified_trader":
      return `a trader reaching ${lots(q.minLotsMilli)} within ${days(q.withinDays)} of registration${
        q.minDepositMinor ? ` with a deposit of at least ${money(q.minDepositMinor, currency)}` : ""
      } (or a posted qualified_trader)`;
    case "challenge":
      return `a challenge purchase of at least ${money(q.minPriceMinor, currency)}${
        q.alsoEvents?.length ? ` (or ${q.alsoEvents.join(", ")})` : ""
      }`;
  }
}

/** One sentence per component and setting, in a stable order. */
export function describeTerms(terms: Terms, currency: string): string[] {
  const out: string[] = [];
  if (terms.cpa) {
    const c = terms.cpa;
    let text = `${money(c.amountMinor, currency)} CPA on ${qualificationText(c.qualification, currency)}, clawed back if reversed within ${days(c.clawbackDays)}`;
    for (const tier of c.tiers ?? [])
      text += `; from the ${tier.fromCount}th player of a month ${money(tier.amountMinor, currency)}`;
    out.push(`${text}.`);
  }
  if (terms.revshare)
    out.push(
      `${percent(terms.revshare.bps)} revenue share of net revenue; ${
        terms.revshare.negativeCarryOver
          ? "a negative month carries over into the next"
          : "a negative month is floored at 0 and does not carry over"
      }.`,
    );
  if (terms.lotRebate) {
    const groups = Object.entries(terms.lotRebate.groups ?? {});
    out.push(
      `${money(terms.lotRebate.perLotMinor, currency)} per lot traded${
        groups.length ? ` (${groups.map(([g, m]) => `${g}: ${money(m, currency)}`).join(", ")})` : ""
      }.`,
    );
  }
  if (terms.percentOfSale)
    out.push(
      `${percent(terms.percentOfSale.bps)} of ${terms.percentOfSale.events.join(" and ")}, taken back on a refund within ${days(terms.percentOfSale.refundWindowDays)}.`,
    );
  if (terms.cap) {
    const parts = [
      terms.cap.cpaCount !== undefined ? `${terms.cap.cpaCount} paid CPAs` : "",
      terms.cap.amountMinor !== undefined ? `${money(terms.cap.amountMinor, currency)} in all` : "",
    ].filter(Boolean);
    if (parts.length) out.push(`At most ${parts.join(" and ")} per affiliate and month.`);
  }
  if (terms.parentOverrideBps)
    out.push(`The affiliate's parent earns ${percent(terms.parentOverrideBps)} on top.`);
  if (!out.length) out.push("Nothing is paid: the plan has no component.");
  out.push(
    terms.holdDays
      ? `Held ${days(terms.holdDays)}, then approved unless reversed.`
      : "Approved at once (no hold).",
  );
  return out;
}
