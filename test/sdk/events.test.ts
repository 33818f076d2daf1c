/**
 * The SDK's events (packages/sdk/src/events.ts): their wire parameters, the checks made before
 * any request, and the lists it keeps in step with the service (it may not import src/).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createPostwireClient,
  eventParams,
  InvalidEventError,
  RESERVED_PARAMS,
  VERTICAL_EVENTS,
} from "../../packages/sdk/src/index.ts";
import { VERTICAL_DEFAULT_EVENTS } from "../../src/domain/event-types.ts";
import { AUTH_PARAMS, CONTRACT_FIELDS } from "../../src/domain/postback-params.ts";

describe("SDK events", () => {
  test("the vertical event sets and reserved names are the service's", () => {
    assert.deepEqual(VERTICAL_EVENTS, VERTICAL_DEFAULT_EVENTS);
    assert.deepEqual([...RESERVED_PARAMS].sort(), [...CONTRACT_FIELDS, ...AUTH_PARAMS].sort());
  });

  test("wire names and values: snake_case, test=1, occurred_at from a Date, ISO text or unix seconds", () => {
    const pairs = eventParams({
      event: "trade",
      txid: "t-1",
      clickId: "c",
      playerId: "p",
      lots: "1.25",
      amount: "10.00",
      currency: "USD",
      occurredAt: new Date(Date.UTC(2026, 0, 31, 12)),
      subId: "s",
      programId: 7,
      test: true,
      extra: { campaign: "spring" },
    });
    assert.deepEqual(pairs, [
      ["event", "trade"],
      ["txid", "t-1"],
      ["click_id", "c"],
      ["player_id", "p"],
      ["amount", "10.00"],
      ["currency", "USD"],
      ["lots", "1.25"],
      ["occurred_at", "2026-01-31T12:00:00.000Z"],
      ["sub_id", "s"],
      ["program_id", "7"],
      ["test", "1"],
      ["campaign", "spring"],
    ]);
    const at = (occurredAt: Date | string | number) =>
      eventParams({ event: "registration", txid: "r", occurredAt }).find(([n]) => n === "occurred_at")?.[1];
    assert.equal(at(1795000000), "1795000000");
    assert.equal(at("2026-01-31T12:00:00+02:00"), "2026-01-31T12:00:00+02:00");
    assert.deepEqual(eventParams({ event: "registration", txid: "r", test: false }), [
      ["event", "registration"],
      ["txid", "r"],
    ]);
  });

  test("refused before any request: no txid, a float amount, a fractional timestamp, a contract name in extra, malformed UTF-16", () => {
    const refuses = (event: unknown, field: string) =>
      assert.throws(
        () => eventParams(event as Parameters<typeof eventParams>[0]),
        (error: unknown) => error instanceof InvalidEventError && error.field === field,
      );
    refuses({ event: "registration" }, "txid");
    refuses({ event: "registration", txid: "" }, "txid");
    refuses({ event: "ftd", txid: "f", amount: 100.5, currency: "EUR" }, "amount");
    refuses({ event: "ftd", txid: "f", amount: "1e3", currency: "EUR" }, "amount");
    refuses({ event: "trade", txid: "t", lots: 0.1 }, "lots");
    refuses({ event: "registration", txid: "r", occurredAt: 1.5 }, "occurred_at");
    refuses({ event: "registration", txid: "r", occurredAt: new Date(Number.NaN) }, "occurred_at");
    refuses({ event: "registration", txid: "r", extra: { sig: "x" } }, "sig");
    refuses({ event: "registration", txid: "r", playerId: "p\uD800" }, "player_id");
    refuses({ event: "registration", txid: "r", extra: { note: "\uDC00" } }, "note");
  });
});

/** Compile-time checks (root `tsc --noEmit`); never called: it would send postbacks. */
export function typeChecks(): void {
  const options = { baseUrl: "http://127.0.0.1:9", operatorKey: "op", secret: "whsec_AAAA" };
  const forex = createPostwireClient({ ...options, vertical: "forex", customEvents: ["kyc_passed"] });
  void forex.send({ event: "trade", txid: "t", lots: "0.5" });
  void forex.send({ event: "kyc_passed", txid: "k" });
  // @ts-expect-error challenge_purchase is a prop event, not a forex one
  void forex.send({ event: "challenge_purchase", txid: "c", amount: "1.00", currency: "EUR" });
  // @ts-expect-error a trade needs lots
  void forex.send({ event: "trade", txid: "t" });
  const any = createPostwireClient(options);
  void any.send({ event: "funded", txid: "f" });
  // @ts-expect-error an ftd needs amount and currency
  void any.send({ event: "ftd", txid: "f" });
  // @ts-expect-error amounts are decimal strings, never numbers
  void any.send({ event: "ftd", txid: "f", amount: 100.5, currency: "EUR" });
  // @ts-expect-error a reversal needs reverses
  void any.send({ event: "refund", txid: "r" });
  // @ts-expect-error txid is required
  void any.send({ event: "registration" });
  // @ts-expect-error custom events must be declared
  void any.send({ event: "kyc_passed", txid: "k" });
}
