/** What became of a postback request, from its answer: table-driven. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AnsweredRequest, REQUEST_OUTCOMES, requestOutcome } from "../../src/domain/request-outcome.ts";

const answer = (status: number, code: string, flags: Partial<AnsweredRequest> = {}): AnsweredRequest => ({
  status,
  code,
  unattributed: false,
  test: false,
  ...flags,
});

describe("request outcome", () => {
  const cases: Array<[string, AnsweredRequest, (typeof REQUEST_OUTCOMES)[number]]> = [
    ["an attributed event", answer(200, "accepted"), "accepted"],
    ["an event with no affiliate", answer(200, "accepted", { unattributed: true }), "unattributed"],
    ["a test event", answer(200, "accepted", { test: true }), "test"],
    [
      "a test event with no affiliate stays a test",
      answer(200, "accepted", { test: true, unattributed: true }),
      "test",
    ],
    ["a repeated txid", answer(200, "duplicate"), "duplicate"],
    ["invalid input", answer(400, "missing_field"), "rejected"],
    ["a bad signature", answer(401, "invalid_signature"), "rejected"],
    ["a conflicting txid", answer(409, "txid_conflict"), "rejected"],
    ["overload, to be retried", answer(429, "overloaded"), "rejected"],
    ["storage down, to be retried", answer(503, "storage_unavailable"), "rejected"],
    ["a 2xx with an unknown code is not taken for a success", answer(200, "surprise"), "rejected"],
  ];
  for (const [name, given, expected] of cases)
    test(name, () => assert.equal(requestOutcome(given), expected));

  test("every outcome can be reached", () => {
    assert.deepEqual(new Set(cases.map(([, , outcome]) => outcome)), new Set(REQUEST_OUTCOMES));
  });
});
