/** The months the commissions page shows balances for: the ledger's UTC periods, newest first. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { monthsUpTo } from "../../src/console/own-pages.ts";

test("monthsUpTo: the current UTC month first, back across year ends", () => {
  const table: Array<[string, number, string[]]> = [
    ["2026-12-06T18:00:00Z", 3, ["2026-12", "2026-11", "2026-10"]],
    ["2026-01-31T23:59:59.999Z", 3, ["2026-01", "2025-12", "2025-11"]],
    ["2026-02-01T00:00:00Z", 2, ["2026-02", "2026-01"]],
    [
      "2024-03-15T12:00:00Z",
      14,
      [
        "2024-03",
        "2024-02",
        "2024-01",
        "2023-12",
        "2023-11",
        "2023-10",
        "2023-09",
        "2023-08",
        "2023-07",
        "2023-06",
        "2023-05",
        "2023-04",
        "2023-03",
        "2023-02",
      ],
    ],
  ];
  for (const [at, count, expected] of table)
    assert.deepEqual(monthsUpTo(Date.parse(at), count), expected, at);
});
