/**
 * What a plan version's terms must satisfy beyond their JSON shape, checked by the use case that
 * stores them (so the API and the console refuse alike): counts, days and amounts are whole and
 * not negative, a rate in basis points is at most 10000 (100 %), tiers climb, % of sale names its
 * events. The refusal names the field as the API does (`terms.cpa.amountMinor`).
 */
import { PostwireError } from "../errors.ts";
import type { Terms } from "./terms.ts";

const MAX_BPS = 10_000;

function refuse(path: string, message: string): never {
  throw new PostwireError("invalid_field", `${path} ${message}`, path);
}

function whole(path: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value)) refuse(path, "must be a whole number.");
  if (value < 0) refuse(path, "must not be negative.");
}

function bps(path: string, value: number | undefined): void {
  whole(path, value);
  if (value !== undefined && value > MAX_BPS) refuse(path, `must be at most ${MAX_BPS} (100 %).`);
}

function checkCpa(cpa: NonNullable<Terms["cpa"]>): void {
  whole("terms.cpa.amountMinor", cpa.amountMinor);
  whole("terms.cpa.clawbackDays", cpa.clawbackDays);
  const q = cpa.qualification;
  const at = "terms.cpa.qualification";
  if (q.kind === "ftd") {
    whole(`${at}.minDepositMinor`, q.minDepositMinor);
    whole(`${at}.cumulativeHours`, q.cumulativeHours);
  } else if (q.kind === "qualified_trader") {
    whole(`${at}.minLotsMilli`, q.minLotsMilli);
    whole(`${at}.withinDays`, q.withinDays);
    whole(`${at}.minDepositMinor`, q.minDepositMinor);
  } else {
    whole(`${at}.minPriceMinor`, q.minPriceMinor);
  }
  let previous = 0;
  for (const [i, tier] of (cpa.tiers ?? []).entries()) {
    whole(`terms.cpa.tiers.${i}.amountMinor`, tier.amountMinor);
    whole(`terms.cpa.tiers.${i}.fromCount`, tier.fromCount);
    if (tier.fromCount <= previous)
      refuse(`terms.cpa.tiers.${i}.fromCount`, "must be more than the previous tier's (and at least 1).");
    previous = tier.fromCount;
  }
}

/** Throws `invalid_field` naming the first field at fault. */
export function checkTerms(terms: Terms): void {
  if (terms.cpa) checkCpa(terms.cpa);
  if (terms.revshare) bps("terms.revshare.bps", terms.revshare.bps);
  if (terms.lotRebate) {
    whole("terms.lotRebate.perLotMinor", terms.lotRebate.perLotMinor);
    for (const [group, minor] of Object.entries(terms.lotRebate.groups ?? {})) {
      if (!group.trim()) refuse("terms.lotRebate.groups", "must name each instrument group.");
      whole("terms.lotRebate.groups", minor);
    }
  }
  if (terms.percentOfSale) {
    bps("terms.percentOfSale.bps", terms.percentOfSale.bps);
    whole("terms.percentOfSale.refundWindowDays", terms.percentOfSale.refundWindowDays);
    if (!terms.percentOfSale.events.length)
      refuse("terms.percentOfSale.events", "must name at least one event.");
  }
  whole("terms.cap.cpaCount", terms.cap?.cpaCount);
  whole("terms.cap.amountMinor", terms.cap?.amountMinor);
  whole("terms.holdDays", terms.holdDays);
  bps("terms.parentOverrideBps", terms.parentOverrideBps);
}
