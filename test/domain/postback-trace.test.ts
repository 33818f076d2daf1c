/** The pure parts of the step trace: mapping applied, content differences, attribution, completion. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePostbackParams } from "../../src/domain/postback-params.ts";
import {
  addStep,
  attributionDetails,
  completeTrace,
  contentDifferences,
  failedStep,
  mappingDetails,
  newTrace,
  TRACE_STEPS,
} from "../../src/domain/postback-trace.ts";

test("mapping: renamed parameters and mapped values, in the order received", () => {
  const mapping = { params: { btag: "click_id", type: "event" }, values: { event: { dep: "ftd" } } };
  assert.deepEqual(
    mappingDetails(
      [
        ["type", "dep"],
        ["btag", "c1"],
        ["txid", "t"],
      ],
      mapping,
    ),
    {
      renamed: [
        { from: "type", to: "event" },
        { from: "btag", to: "click_id" },
      ],
      values: [{ field: "event", from: "dep", to: "ftd" }],
    },
  );
  assert.deepEqual(mappingDetails([["constructor", "x"]], { params: {}, values: {} }), {
    renamed: [],
    values: [],
  });
});

const fieldsOf = (pairs: Array<[string, string]>) => {
  const parsed = parsePostbackParams(pairs, { params: {}, values: {} }, 1_800_000_000_000);
  assert.ok(parsed.ok);
  return parsed.value;
};

test("content differences name each field that differs, occurred_at only when given", () => {
  const stored = {
    event: "ftd",
    clickId: null,
    playerId: "p",
    amountMinor: 1000,
    currency: "EUR",
    lotsMilli: null,
    occurredAt: 1_700_000_000_000,
    test: false,
    subId: null,
    extra: {},
  };
  const same = fieldsOf([
    ["event", "ftd"],
    ["txid", "t"],
    ["player_id", "p"],
    ["amount", "10"],
    ["currency", "EUR"],
  ]);
  assert.deepEqual(contentDifferences(stored, same), []);
  const other = fieldsOf([
    ["event", "ftd"],
    ["txid", "t"],
    ["player_id", "q"],
    ["amount", "12"],
    ["currency", "EUR"],
    ["occurred_at", "1700000001"],
    ["test", "1"],
    ["campaign", "x"],
  ]);
  assert.deepEqual(
    contentDifferences(stored, other).map((d) => d.field),
    ["player_id", "amount_minor", "test", "extra", "occurred_at"],
  );
});

const touch = { clickId: "c", linkId: 3, affiliateId: 4, programId: 5 };

test("attribution: the click with its age against the lookback; a test event binds no one", () => {
  const clickedAt = 1_800_000_000_000 - 40 * 86_400_000;
  const found = attributionDetails({
    click: { kind: "touch", touch, clickedAt },
    binding: undefined,
    touch,
    reason: null,
    bindsPlayer: true,
    test: true,
    occurredAt: 1_800_000_000_000,
    lookbackDays: 30,
  });
  assert.equal(
    found.details["click"] && (found.details["click"] as { within_lookback: boolean }).within_lookback,
    false,
  );
  assert.equal((found.details["click"] as { age_seconds: number }).age_seconds, 40 * 86_400);
  assert.ok(found.details["would_bind_player"]);
  assert.equal(found.details["binds_player"], undefined);
  assert.match(found.summary, /A test event binds no player/);
  const byBinding = attributionDetails({
    click: { kind: "none" },
    binding: touch,
    touch,
    reason: null,
    bindsPlayer: false,
    test: false,
    occurredAt: 1,
    lookbackDays: 30,
  });
  assert.match(byBinding.summary, /through the player's binding/);
  const none = attributionDetails({
    click: { kind: "invalid", reason: "click_id_invalid" },
    binding: undefined,
    touch: null,
    reason: "click_id_invalid",
    bindsPlayer: false,
    test: false,
    occurredAt: 1,
    lookbackDays: undefined,
  });
  assert.deepEqual(none.details, {
    click: { invalid: "click_id_invalid" },
    unattributed_reason: "click_id_invalid",
  });
});

test("completion: every step once, in pipeline order, the missing ones skipped with why", () => {
  const refused = newTrace("test");
  addStep(refused, "operator", "passed", "ok");
  failedStep(refused, "authentication", { code: "invalid_signature", message: "no" });
  completeTrace(refused, undefined);
  assert.deepEqual(
    refused.steps.map((s) => s.step),
    [...TRACE_STEPS],
  );
  assert.match(refused.steps.at(-1)!.summary, /authentication step refused/);

  const accepted = newTrace("test");
  for (const step of [
    "operator",
    "authentication",
    "mapping",
    "validation",
    "idempotency",
    "attribution",
  ] as const)
    addStep(accepted, step, "passed", step);
  completeTrace(accepted, { test: true, affiliateId: 4 });
  assert.match(
    accepted.steps.find((s) => s.step === "commissions")!.summary,
    /Test events earn no commission/,
  );
  const unattributed = newTrace("validate_only");
  completeTrace(unattributed, { test: false, affiliateId: null });
  assert.match(unattributed.steps.find((s) => s.step === "outbound")!.summary, /Unattributed/);
});
