/**
 * What one outbound postback says (DESIGN §4): the macro values fixed when the message is written,
 * and the HTTP request built from them for each attempt. Values are URL-encoded by renderTemplate,
 * so no value can add or change parameters; POST bodies are signed with Standard Webhooks headers
 * (https://www.standardwebhooks.com/): the same webhook-id on every attempt, a new timestamp and
 * signature each time (two signatures while a rotated secret's grace period lasts).
 */
import { renderTemplate } from "../../domain/macros.ts";
import { formatMinor } from "../../domain/money.ts";
import { signingSecretsAt } from "../../domain/secret-rotation.ts";
import { decodeSecret, signWebhookAll } from "../../domain/signing.ts";
import type { Payout } from "../ingest/ingest-port.ts";
import type { ClickRow, ConversionRow } from "../records.ts";
import type { Delivery, Endpoint, FireStatus } from "./outbox-port.ts";
import type { OutboundRequest } from "./sender-port.ts";

/** The macros an endpoint's URL template may use. */
export const OUTBOUND_MACROS = [
  "click_id",
  "sub1",
  "sub2",
  "sub3",
  "sub4",
  "sub5",
  "event",
  "payout",
  "currency",
  "conversion_id",
  "program_id",
  "occurred_at",
  "status",
  "reason",
  "total_payout",
  "delivery_id",
] as const;

/** The values a message carries: one per macro except delivery_id, which is the message's own id. */
type MessageValues = Record<Exclude<(typeof OUTBOUND_MACROS)[number], "delivery_id">, string>;

export const USER_AGENT = "Postwire-Webhooks/1";

/** Minor units as a signed decimal of the currency (plain minor units when it has no known exponent). */
function decimalOf(minor: number, currency: string): string {
  try {
    return currency ? formatMinor(minor, currency) : String(minor);
  } catch {
    return String(minor);
  }
}

/** Signed total of the affiliate's commission lines, or zero when commissions gave none. */
function payoutOf(payouts: readonly Payout[] | undefined, affiliateId: number, fallbackCurrency: string) {
  const mine = (payouts ?? []).filter((p) => p.affiliateId === affiliateId);
  const currency = mine[0]?.currency ?? fallbackCurrency;
  const minor = mine.reduce((sum, p) => sum + p.amountMinor, 0);
  return { payout: decimalOf(minor, currency), currency };
}

/** A manager's decision being forwarded (`rejected` or `adjusted`). */
interface AdjustmentFacts {
  readonly reasonCode: string;
  /** When the manager decided: the message's occurred_at. */
  readonly at: number;
  /** The affiliate's net commission on the conversion after the adjustment. */
  readonly totalMinor: number;
  readonly currency: string;
}

export interface MessageFacts {
  readonly conversion: ConversionRow;
  /** For a reversal: the conversion it reverses (its event and id are what the affiliate knows). */
  readonly original: ConversionRow | undefined;
  readonly click: ClickRow | undefined;
  readonly payouts: readonly Payout[] | undefined;
  readonly status: FireStatus;
  /** For `rejected`/`adjusted`: the decision; `payouts` then hold its lines (the delta). */
  readonly adjustment?: AdjustmentFacts | undefined;
}

/** The macro values of one message (without delivery_id, which is its own id). */
export function messageValues(facts: MessageFacts, affiliateId: number): MessageValues {
  const { conversion, original, click, adjustment } = facts;
  const subject = original ?? conversion;
  const { payout, currency } = payoutOf(
    facts.payouts,
    affiliateId,
    adjustment?.currency ?? conversion.currency ?? "",
  );
  return {
    click_id: subject.clickId ?? conversion.clickId ?? "",
    sub1: click?.subs[0] ?? "",
    sub2: click?.subs[1] ?? "",
    sub3: click?.subs[2] ?? "",
    sub4: click?.subs[3] ?? "",
    sub5: click?.subs[4] ?? "",
    event: subject.event,
    payout,
    currency,
    conversion_id: subject.id,
    program_id: subject.programId === null ? "" : String(subject.programId),
    occurred_at: new Date(adjustment?.at ?? conversion.occurredAt).toISOString(),
    status: facts.status,
    reason: adjustment?.reasonCode ?? (original ? conversion.event : ""),
    total_payout: adjustment ? decimalOf(adjustment.totalMinor, adjustment.currency) : "",
  };
}

/** Sample values for "send test" and for checking a template when it is saved. */
export function sampleValues(): MessageValues {
  return {
    click_id: "test-click-id",
    sub1: "sub1",
    sub2: "sub2",
    sub3: "sub3",
    sub4: "sub4",
    sub5: "sub5",
    event: "ftd",
    payout: "10.00",
    currency: "EUR",
    conversion_id: "cv_TEST",
    program_id: "1",
    occurred_at: new Date(0).toISOString(),
    status: "created",
    reason: "",
    total_payout: "10.00",
  };
}

/**
 * The HTTP request of one attempt made at `now` (epoch ms; its seconds are the webhook-timestamp).
 * During a secret rotation's grace period a POST carries a signature under each live secret.
 */
export function buildRequest(
  endpoint: Pick<
    Endpoint,
    "urlTemplate" | "method" | "secret" | "previousSecret" | "previousSecretExpiresAt"
  >,
  delivery: Pick<Delivery, "id" | "payload">,
  now: number,
): OutboundRequest {
  const values = { ...delivery.payload, delivery_id: delivery.id };
  const url = renderTemplate(endpoint.urlTemplate, values);
  if (endpoint.method === "GET") return { url, method: "GET", headers: { "user-agent": USER_AGENT } };
  const body = JSON.stringify(values);
  const timestamp = String(Math.floor(now / 1000));
  const secrets = signingSecretsAt(endpoint, now)
    .map(decodeSecret)
    .flatMap((secret) => (secret.ok ? [secret.value] : []));
  const headers: Record<string, string> = {
    "user-agent": USER_AGENT,
    "content-type": "application/json",
    "webhook-id": delivery.id,
    "webhook-timestamp": timestamp,
  };
  if (secrets.length) headers["webhook-signature"] = signWebhookAll(secrets, delivery.id, timestamp, body);
  return { url, method: "POST", headers, body };
}

const SECRET_NAME = /(token|secret|key|sig|signature|pass|auth|hash)/i;

/** The URL for the attempt log: user info and secret-looking query values replaced. */
export function redactUrl(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return url.slice(0, 2000);
  if (parsed.username || parsed.password) {
    parsed.username = "REDACTED";
    parsed.password = "";
  }
  for (const name of [...new Set(parsed.searchParams.keys())]) {
    if (SECRET_NAME.test(name)) parsed.searchParams.set(name, "REDACTED");
  }
  return parsed.toString().slice(0, 2000);
}
