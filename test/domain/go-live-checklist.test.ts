/** The go-live checklist as a pure function: which evidence ticks which item, table-driven. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildChecklist, type CheckEvidence, requiredFields } from "../../src/domain/go-live-checklist.ts";

let n = 0;
const ev = (
  code: string,
  method: string,
  event: string | null,
  programId: number | null = 7,
  reverses: string | null = null,
): CheckEvidence => ({
  requestLogId: `rq_${++n}`,
  receivedAt: n,
  result: { code, method, program_id: programId, event, reverses_id: reverses },
});

test("required fields follow the event rules", () => {
  assert.deepEqual(requiredFields("registration"), ["event", "txid"]);
  assert.deepEqual(requiredFields("ftd"), ["event", "txid", "amount", "currency"]);
  assert.deepEqual(requiredFields("trade"), ["event", "txid", "lots"]);
  assert.deepEqual(requiredFields("chargeback"), ["event", "txid", "reverses"]);
  assert.deepEqual(requiredFields("vip_level"), ["event", "txid"]);
});

const cases: Array<{
  name: string;
  evidence: CheckEvidence[];
  signs?: boolean;
  passed: string[];
  notNeeded: string[];
  ready: boolean;
}> = [
  { name: "nothing yet", evidence: [], passed: [], notNeeded: ["signed_post"], ready: false },
  {
    name: "another program's events do not count",
    evidence: [ev("accepted", "GET", "ftd", 8)],
    passed: [],
    notNeeded: ["signed_post"],
    ready: false,
  },
  {
    name: "a refused ftd does not tick it",
    evidence: [ev("amount_precision", "GET", "ftd")],
    passed: [],
    notNeeded: ["signed_post"],
    ready: false,
  },
  {
    name: "everything over GET",
    evidence: [
      ev("accepted", "GET", "ftd"),
      ev("duplicate", "GET", "ftd"),
      ev("accepted", "GET", "refund", 7, "cv_1"),
      ev("invalid_signature", "GET", null, null),
    ],
    passed: [
      "event:ftd",
      "event:refund",
      "retry_duplicate",
      "reversal_linked",
      "signed_get",
      "wrong_signature_refused",
    ],
    notNeeded: ["signed_post"],
    ready: true,
  },
  {
    name: "a POST used must pass too",
    evidence: [
      ev("accepted", "GET", "ftd"),
      ev("duplicate", "GET", "ftd"),
      ev("accepted", "GET", "refund", 7, "cv_1"),
      ev("invalid_signature", "GET", null, null),
      ev("missing_signature", "POST", null, null),
    ],
    passed: [
      "event:ftd",
      "event:refund",
      "retry_duplicate",
      "reversal_linked",
      "signed_get",
      "wrong_signature_refused",
    ],
    notNeeded: [],
    ready: false,
  },
  {
    name: "an unsigned operator (token, allowlist) needs no signature items",
    signs: false,
    evidence: [
      ev("accepted", "POST", "ftd"),
      ev("duplicate", "POST", "ftd"),
      ev("accepted", "POST", "refund", 7, "cv_1"),
    ],
    passed: ["event:ftd", "event:refund", "retry_duplicate", "reversal_linked"],
    notNeeded: ["signed_get", "signed_post", "wrong_signature_refused"],
    ready: true,
  },
];

for (const c of cases) {
  test(`checklist: ${c.name}`, () => {
    const list = buildChecklist(7, ["ftd", "refund"], c.signs ?? true, c.evidence);
    const of = (state: string) => list.items.filter((i) => i.state === state).map((i) => i.id);
    assert.deepEqual(of("passed"), c.passed);
    assert.deepEqual(of("not_needed"), c.notNeeded);
    assert.equal(list.ready, c.ready);
    assert.deepEqual(list.missing, of("missing"));
  });
}
