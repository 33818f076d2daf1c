/**
 * Reconciliation's pure parts (src/domain/reconciliation.ts): a row written back as contract
 * parameters parses to the same fields and content hash (so a live retry of a backfilled event is
 * a duplicate, not a conflict), and each difference from what was received is named.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EMPTY_MAPPING, type PostbackFields, parsePostbackParams } from "../../src/domain/postback-params.ts";
import { contractPairs, differencesOf, type ReceivedEvent, utcDay } from "../../src/domain/reconciliation.ts";

const parsed = (pairs: ReadonlyArray<readonly [string, string]>): PostbackFields => {
  const result = parsePostbackParams(pairs, EMPTY_MAPPING, Date.parse("2027-01-01T00:00:00Z"));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

describe("contractPairs", () => {
  const rows: Array<Array<[string, string]>> = [
    [
      ["event", "ftd"],
      ["txid", "a1"],
      ["click_id", "ck"],
      ["player_id", "p1"],
      ["amount", "10.5"],
      ["currency", "eur"],
      ["occurred_at", "2026-11-01T10:00:00+02:00"],
      ["sub_id", "s"],
      ["brand", "x"],
    ],
    [
      ["event", "deposit"],
      ["txid", "a2"],
      ["amount", "1000"],
      ["currency", "JPY"],
      ["occurred_at", "1761991200"],
      ["test", "true"],
      ["program_id", "7"],
    ],
    [
      ["event", "trade"],
      ["txid", "a3"],
      ["lots", "0.100"],
      ["occurred_at", "2026-11-01T10:00:00Z"],
    ],
    [
      ["event", "refund"],
      ["txid", "a4"],
      ["reverses", "a1"],
      ["amount", "0.010"],
      ["currency", "BHD"],
      ["occurred_at", "2026-11-01T10:00:00Z"],
    ],
  ];
  for (const pairs of rows)
    test(`${pairs[0]![1]} ${pairs[1]![1]}: parsed again, the same fields and content hash`, () => {
      const fields = parsed(pairs);
      assert.deepEqual(parsed(contractPairs(fields)), fields);
    });
});

describe("differencesOf", () => {
  const received: ReceivedEvent = {
    conversionId: "cv1",
    txid: "a1",
    event: "ftd",
    amountMinor: 1050,
    currency: "EUR",
    playerId: "p1",
    clickId: "ck",
    reversesTxid: null,
    test: false,
  };
  const base: Array<[string, string]> = [
    ["event", "ftd"],
    ["txid", "a1"],
    ["amount", "10.50"],
    ["currency", "EUR"],
    ["occurred_at", "2026-11-01T10:00:00Z"],
  ];
  const cases: Array<[string, Array<[string, string]>, ReturnType<typeof differencesOf>]> = [
    ["fields the file leaves out (player, click) are not compared", [], []],
    [
      "the same values",
      [
        ["amount", "10.50"],
        ["currency", "EUR"],
        ["player_id", "p1"],
        ["click_id", "ck"],
      ],
      [],
    ],
    ["another event type", [["event", "deposit"]], [{ field: "event", file: "deposit", received: "ftd" }]],
    [
      "another amount, in the file's currency",
      [
        ["amount", "12"],
        ["currency", "EUR"],
      ],
      [{ field: "amount", file: "12.00", received: "10.50" }],
    ],
    [
      "another currency",
      [
        ["amount", "10.50"],
        ["currency", "USD"],
      ],
      [{ field: "currency", file: "USD", received: "EUR" }],
    ],
    ["another player", [["player_id", "p2"]], [{ field: "player_id", file: "p2", received: "p1" }]],
    ["another click", [["click_id", "other"]], [{ field: "click_id", file: "other", received: "ck" }]],
    ["a test event", [["test", "1"]], [{ field: "test", file: "true", received: "false" }]],
  ];
  for (const [name, extra, expected] of cases)
    test(name, () => {
      const pairs = [...base.filter(([n]) => !extra.some(([e]) => e === n)), ...extra];
      assert.deepEqual(differencesOf(parsed(pairs), received), expected);
    });

  test("a reversal naming another original", () => {
    const refund = parsed([
      ["event", "refund"],
      ["txid", "r1"],
      ["reverses", "a2"],
      ["occurred_at", "2026-11-01T10:00:00Z"],
    ]);
    const stored = { ...received, txid: "r1", event: "refund", amountMinor: -1050, reversesTxid: "a1" };
    assert.deepEqual(differencesOf(refund, stored), [{ field: "reverses", file: "a2", received: "a1" }]);
  });

  test("utcDay is the UTC date", () => {
    assert.equal(utcDay(Date.parse("2026-11-01T23:30:00-02:00")), "2026-11-02");
  });
});
