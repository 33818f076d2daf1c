/**
 * The plan editor's form and plan terms, both ways: the submitted fields read into Terms (amounts
 * as decimals of the program currency, lots as decimals), a version's Terms as the fields that
 * pre-fill the form, and the API's field path of a refusal (`terms.cpa.amountMinor`) as the input
 * it concerns. The rules stay the use case's (checkTerms): this only reads what was typed.
 */
import { orThrow } from "../app/admin/validate.ts";
import type { CpaTerms, Qualification, Terms } from "../domain/commissions/terms.ts";
import { PostwireError } from "../domain/errors.ts";
import { formatLots, formatMinor, parseAmount, parseLots } from "../domain/money.ts";
import type { Form } from "./console-kit.ts";

export const QUALIFICATION_KINDS = ["ftd", "qualified_trader", "challenge"] as const;

/** Input name of each terms path (the longest path a refusal starts with wins). */
const INPUT_OF_PATH: ReadonlyArray<readonly [string, string]> = [
  ["terms.cpa.amountMinor", "cpa_amount"],
  ["terms.cpa.clawbackDays", "cpa_clawback_days"],
  ["terms.cpa.qualification.minDepositMinor", "cpa_min_deposit"],
  ["terms.cpa.qualification.cumulativeHours", "cpa_cumulative_hours"],
  ["terms.cpa.qualification.minLotsMilli", "cpa_min_lots"],
  ["terms.cpa.qualification.withinDays", "cpa_within_days"],
  ["terms.cpa.qualification.minPriceMinor", "cpa_min_price"],
  ["terms.cpa.qualification.alsoEvents", "cpa_also_events"],
  ["terms.cpa.qualification", "cpa_kind"],
  ["terms.cpa.tiers", "cpa_tiers"],
  ["terms.revshare", "revshare_bps"],
  ["terms.lotRebate.groups", "lot_groups"],
  ["terms.lotRebate", "lot_per_lot"],
  ["terms.percentOfSale.events", "sale_events"],
  ["terms.percentOfSale.refundWindowDays", "sale_refund_days"],
  ["terms.percentOfSale", "sale_bps"],
  ["terms.cap.cpaCount", "cap_cpa_count"],
  ["terms.cap", "cap_amount"],
  ["terms.holdDays", "hold_days"],
  ["terms.parentOverrideBps", "parent_override_bps"],
];

/** The form input a refused field path concerns (a non-terms field is its own input). */
export function inputOfPath(path: string | undefined): string | undefined {
  if (path === undefined || !path.startsWith("terms")) return path;
  let best: readonly [string, string] | undefined;
  for (const entry of INPUT_OF_PATH)
    if ((path === entry[0] || path.startsWith(`${entry[0]}.`)) && entry[0].length > (best?.[0].length ?? 0))
      best = entry;
  return best?.[1];
}

const trimmed = (form: Form, name: string) => (form[name] ?? "").trim();

/** A whole number as typed (a negative one is left for the use case to refuse). */
function integer(form: Form, name: string, label: string): number | undefined {
  const text = trimmed(form, name);
  if (!text) return undefined;
  if (!/^-?\d{1,15}$/.test(text))
    throw new PostwireError("invalid_field", `${label} must be a whole number.`, name);
  return Number(text);
}

const needed = <T>(value: T | undefined, name: string, label: string): T => {
  if (value === undefined) throw new PostwireError("missing_field", `${label} is required.`, name);
  return value;
};

/** A decimal amount of the program currency, in minor units. */
function amountOf(text: string, currency: string, name: string, label: string): number {
  const parsed = parseAmount(text, currency, { allowNegative: true });
  if (!parsed.ok) throw new PostwireError("invalid_field", `${label}: ${parsed.error.message}.`, name);
  return parsed.value;
}

function amount(form: Form, name: string, label: string, currency: string): number | undefined {
  const text = trimmed(form, name);
  return text ? amountOf(text, currency, name, label) : undefined;
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** Lines of "<first> <amount>": tiers ("3 150.00") and instrument groups ("metals 8.00"). */
function pairs(form: Form, name: string, label: string): Array<readonly [string, string]> {
  return trimmed(form, name)
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(/\s+/);
      if (parts.length !== 2)
        throw new PostwireError(
          "invalid_field",
          `${label}: "${line}" is not "<name or count> <amount>".`,
          name,
        );
      return [parts[0]!, parts[1]!] as const;
    });
}

function qualificationOf(form: Form, currency: string): Qualification {
  const kind = form["cpa_kind"];
  const minDeposit = amount(form, "cpa_min_deposit", "Minimum deposit", currency);
  if (kind === "ftd") {
    const hours = integer(form, "cpa_cumulative_hours", "Cumulative hours");
    return {
      kind,
      minDepositMinor: needed(minDeposit, "cpa_min_deposit", "Minimum deposit"),
      ...(hours ? { cumulativeHours: hours } : {}),
    };
  }
  if (kind === "qualified_trader") {
    const lots = trimmed(form, "cpa_min_lots");
    return {
      kind,
      minLotsMilli: orThrow(
        parseLots(needed(lots || undefined, "cpa_min_lots", "Minimum lots")),
        "cpa_min_lots",
      ),
      withinDays: needed(integer(form, "cpa_within_days", "Within days"), "cpa_within_days", "Within days"),
      ...(minDeposit ? { minDepositMinor: minDeposit } : {}),
    };
  }
  if (kind === "challenge") {
    const also = list(trimmed(form, "cpa_also_events"));
    return {
      kind,
      minPriceMinor: needed(
        amount(form, "cpa_min_price", "Minimum price", currency),
        "cpa_min_price",
        "Minimum price",
      ),
      ...(also.length ? { alsoEvents: also } : {}),
    };
  }
  throw new PostwireError("invalid_field", "Choose how a player qualifies.", "cpa_kind");
}

function cpaOf(form: Form, currency: string): CpaTerms {
  const tiers = pairs(form, "cpa_tiers", "Tiers").map(([from, minor]) => {
    if (!/^-?\d{1,9}$/.test(from))
      throw new PostwireError("invalid_field", `Tiers: "${from}" is not a count of players.`, "cpa_tiers");
    return { fromCount: Number(from), amountMinor: amountOf(minor, currency, "cpa_tiers", "Tiers") };
  });
  return {
    amountMinor: needed(amount(form, "cpa_amount", "CPA amount", currency), "cpa_amount", "CPA amount"),
    qualification: qualificationOf(form, currency),
    clawbackDays: needed(
      integer(form, "cpa_clawback_days", "Clawback days"),
      "cpa_clawback_days",
      "Clawback days",
    ),
    ...(tiers.length ? { tiers } : {}),
  };
}

/** The terms the form describes; throws a PostwireError naming the input that cannot be read. */
export function termsOf(form: Form, currency: string): Terms {
  const on = (name: string) => form[name] === "1";
  const bps = (name: string, label: string) => needed(integer(form, name, label), name, label);
  const capCount = integer(form, "cap_cpa_count", "Cap on CPAs");
  const capAmount = amount(form, "cap_amount", "Cap on the amount", currency);
  const hold = integer(form, "hold_days", "Hold days");
  const override = integer(form, "parent_override_bps", "Parent override");
  const groups = pairs(form, "lot_groups", "Instrument groups").map(
    ([group, minor]) => [group, amountOf(minor, currency, "lot_groups", "Instrument groups")] as const,
  );
  return {
    ...(on("cpa_on") ? { cpa: cpaOf(form, currency) } : {}),
    ...(on("revshare_on")
      ? { revshare: { bps: bps("revshare_bps", "Revenue share"), negativeCarryOver: on("revshare_carry") } }
      : {}),
    ...(on("lot_on")
      ? {
          lotRebate: {
            perLotMinor: needed(amount(form, "lot_per_lot", "Per lot", currency), "lot_per_lot", "Per lot"),
            ...(groups.length ? { groups: Object.fromEntries(groups) } : {}),
          },
        }
      : {}),
    ...(on("sale_on")
      ? {
          percentOfSale: {
            bps: bps("sale_bps", "% of sale"),
            events: list(trimmed(form, "sale_events")),
            refundWindowDays: bps("sale_refund_days", "Refund window"),
          },
        }
      : {}),
    ...(capCount !== undefined || capAmount !== undefined
      ? {
          cap: {
            ...(capCount !== undefined ? { cpaCount: capCount } : {}),
            ...(capAmount !== undefined ? { amountMinor: capAmount } : {}),
          },
        }
      : {}),
    ...(hold !== undefined ? { holdDays: hold } : {}),
    ...(override !== undefined ? { parentOverrideBps: override } : {}),
  };
}

/** The form's fields holding `terms` (the editor starts from the version in force or the preset). */
export function valuesOfTerms(terms: Terms, currency: string): Record<string, string> {
  const money = (minor: number | undefined) => (minor === undefined ? "" : formatMinor(minor, currency));
  const v: Record<string, string> = {};
  const cpa = terms.cpa;
  if (cpa) {
    const q = cpa.qualification;
    Object.assign(v, {
      cpa_on: "1",
      cpa_amount: money(cpa.amountMinor),
      cpa_kind: q.kind,
      cpa_clawback_days: String(cpa.clawbackDays),
      cpa_tiers: (cpa.tiers ?? []).map((t) => `${t.fromCount} ${money(t.amountMinor)}`).join("\n"),
      cpa_min_deposit: q.kind === "challenge" ? "" : money(q.minDepositMinor),
      cpa_cumulative_hours: q.kind === "ftd" && q.cumulativeHours ? String(q.cumulativeHours) : "",
      cpa_min_lots: q.kind === "qualified_trader" ? formatLots(q.minLotsMilli) : "",
      cpa_within_days: q.kind === "qualified_trader" ? String(q.withinDays) : "",
      cpa_min_price: q.kind === "challenge" ? money(q.minPriceMinor) : "",
      cpa_also_events: q.kind === "challenge" ? (q.alsoEvents ?? []).join(", ") : "",
    });
  }
  if (terms.revshare)
    Object.assign(v, {
      revshare_on: "1",
      revshare_bps: String(terms.revshare.bps),
      revshare_carry: terms.revshare.negativeCarryOver ? "1" : "",
    });
  if (terms.lotRebate)
    Object.assign(v, {
      lot_on: "1",
      lot_per_lot: money(terms.lotRebate.perLotMinor),
      lot_groups: Object.entries(terms.lotRebate.groups ?? {})
        .map(([g, m]) => `${g} ${money(m)}`)
        .join("\n"),
    });
  if (terms.percentOfSale)
    Object.assign(v, {
      sale_on: "1",
      sale_bps: String(terms.percentOfSale.bps),
      sale_events: terms.percentOfSale.events.join(", "),
      sale_refund_days: String(terms.percentOfSale.refundWindowDays),
    });
  if (terms.cap) {
    v["cap_cpa_count"] = terms.cap.cpaCount === undefined ? "" : String(terms.cap.cpaCount);
    v["cap_amount"] = money(terms.cap.amountMinor);
  }
  if (terms.holdDays !== undefined) v["hold_days"] = String(terms.holdDays);
  if (terms.parentOverrideBps !== undefined) v["parent_override_bps"] = String(terms.parentOverrideBps);
  return v;
}

const DEAL_CLEARED = new Set([
  "cpa_on",
  "revshare_on",
  "lot_on",
  "sale_on",
  "hold_days",
  "cap_cpa_count",
  "cap_amount",
  "parent_override_bps",
]);

/** Values of a plan made the start of a new deal: every component unticked (inherited from the plan). */
export const asDealStart = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter(([name]) => !DEAL_CLEARED.has(name)));
