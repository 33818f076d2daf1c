/**
 * Every class of bad postback content gets a 400 with its code and field, stores no conversion
 * and leaves one request-log row with that code. Signatures are valid, so content is what fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signQuery } from "../../../src/domain/signing.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { createFixture, startTestService, type TestService } from "../../helpers/service.ts";
import {
  assertRefused,
  getPostback,
  nowSeconds,
  type Pairs,
  secretBytes,
  signedGet,
  signedPost,
} from "./postback-kit.ts";

interface Case {
  readonly name: string;
  readonly params: Pairs;
  readonly code: string;
  readonly field?: string;
}

const money = (amount: string, currency: string, event = "deposit"): Pairs => [
  ["event", event],
  ["txid", "v-1"],
  ["player_id", "p"],
  ["amount", amount],
  ["currency", currency],
];
const trade = (lots?: string): Pairs => [
  ["event", "trade"],
  ["txid", "v-1"],
  ["player_id", "p"],
  ...(lots === undefined ? [] : ([["lots", lots]] as Pairs)),
];
const reg = (extra: Pairs = []): Pairs => [
  ["event", "registration"],
  ["txid", "v-1"],
  ["player_id", "p"],
  ...extra,
];

// biome-ignore format: one case per line reads as a table
const CASES: Case[] = [
  { name: "missing event", params: [["txid", "v-1"], ["player_id", "p"]], code: "missing_field", field: "event" },
  { name: "empty event", params: reg([]).map(([n, v]) => [n, n === "event" ? "" : v]), code: "missing_field", field: "event" },
  { name: "missing txid", params: [["event", "registration"], ["player_id", "p"]], code: "missing_field", field: "txid" },
  { name: "amount 1e3", params: money("1e3", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount NaN", params: money("NaN", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount Infinity", params: money("Infinity", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount 1,000.00", params: money("1,000.00", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount with a plus sign", params: money("+100", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount .5", params: money(".5", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount 100.", params: money("100.", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "amount with spaces", params: money(" 100", "EUR"), code: "invalid_amount", field: "amount" },
  { name: "EUR with 3 decimals", params: money("1.001", "EUR"), code: "amount_precision", field: "amount" },
  { name: "JPY with decimals", params: money("100.5", "JPY"), code: "amount_precision", field: "amount" },
  { name: "JPY with zero decimals", params: money("100.00", "JPY"), code: "amount_precision", field: "amount" },
  { name: "BHD with 4 decimals", params: money("1.0001", "BHD"), code: "amount_precision", field: "amount" },
  { name: "negative ftd", params: money("-5.00", "EUR", "ftd"), code: "invalid_amount", field: "amount" },
  { name: "unknown currency", params: money("5", "EUX"), code: "unknown_currency", field: "currency" },
  { name: "currency without minor unit", params: money("5", "XAU"), code: "unknown_currency", field: "currency" },
  { name: "amount without currency", params: money("5", "").slice(0, 4), code: "missing_field", field: "currency" },
  { name: "ftd without amount", params: [["event", "ftd"], ["txid", "v-1"], ["player_id", "p"]], code: "missing_field", field: "amount" },
  { name: "lots not a number", params: trade("abc"), code: "invalid_lots", field: "lots" },
  { name: "lots zero", params: trade("0"), code: "invalid_lots", field: "lots" },
  { name: "lots negative", params: trade("-1"), code: "invalid_lots", field: "lots" },
  { name: "lots with 4 decimals", params: trade("1.0001"), code: "invalid_lots", field: "lots" },
  { name: "trade without lots", params: trade(), code: "missing_field", field: "lots" },
  { name: "occurred_at words", params: reg([["occurred_at", "yesterday"]]), code: "invalid_timestamp", field: "occurred_at" },
  { name: "occurred_at without time", params: reg([["occurred_at", "2026-01-31"]]), code: "invalid_timestamp", field: "occurred_at" },
  { name: "occurred_at without zone", params: reg([["occurred_at", "2026-01-31T12:00:00"]]), code: "invalid_timestamp", field: "occurred_at" },
  { name: "occurred_at month 13", params: reg([["occurred_at", "2026-13-01T00:00:00Z"]]), code: "invalid_timestamp", field: "occurred_at" },
  { name: "repeated txid", params: [...reg(), ["txid", "v-2"]], code: "ambiguous_parameter", field: "txid" },
  { name: "repeated identical amount", params: [...money("5", "EUR"), ["amount", "5"]], code: "ambiguous_parameter", field: "amount" },
  { name: "event name not snake case", params: [["event", "FTD!"], ["txid", "v-1"], ["player_id", "p"]], code: "invalid_field", field: "event" },
  { name: "custom event the program lacks", params: [["event", "loyalty_points"], ["txid", "v-1"], ["player_id", "p"]], code: "unknown_event_type", field: "event" },
  { name: "standard event not allowed", params: [["event", "evaluation_pass"], ["txid", "v-1"], ["player_id", "p"]], code: "unknown_event_type", field: "event" },
  { name: "reversal of an unknown txid", params: [["event", "chargeback"], ["txid", "v-1"], ["player_id", "p"], ["reverses", "nope"]], code: "reverses_not_found", field: "reverses" },
  { name: "refund without reverses", params: [["event", "refund"], ["txid", "v-1"], ["player_id", "p"]], code: "missing_field", field: "reverses" },
  { name: "reverses on an ftd", params: [...money("5", "EUR", "ftd"), ["reverses", "x"]], code: "invalid_field", field: "reverses" },
  { name: "test flag not boolean", params: reg([["test", "maybe"]]), code: "invalid_field", field: "test" },
  { name: "program of another operator", params: reg([["program_id", "999999"]]), code: "unknown_program", field: "program_id" },
  { name: "txid with control characters", params: [["event", "registration"], ["txid", "a\u0001b"], ["player_id", "p"]], code: "invalid_field", field: "txid" },
];

for (const engine of await availableEngines()) {
  describe(`bad postback content is refused (${engine})`, { timeout: 90_000 }, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(engine);
    });
    after(() => t?.close());

    for (const c of CASES) {
      test(`GET: ${c.name} → 400 ${c.code}`, async () => {
        const f = await createFixture(t.store);
        const answer = await signedGet(t.url, f, c.params);
        await assertRefused(t.store, f.operator.id, answer, { status: 400, code: c.code, field: c.field });
      });
    }

    test("POST JSON: 1e3 as a JSON number → invalid_amount", async () => {
      const f = await createFixture(t.store);
      const body = '{"event":"deposit","txid":"j","player_id":"p","amount":1e3,"currency":"EUR"}';
      const answer = await signedPost(t.url, f, body);
      await assertRefused(t.store, f.operator.id, answer, {
        status: 400,
        code: "invalid_amount",
        field: "amount",
      });
    });

    test("POST JSON: 100.505 EUR as a JSON number → amount_precision", async () => {
      const f = await createFixture(t.store);
      const body = '{"event":"deposit","txid":"j","player_id":"p","amount":100.505,"currency":"EUR"}';
      const answer = await signedPost(t.url, f, body);
      await assertRefused(t.store, f.operator.id, answer, {
        status: 400,
        code: "amount_precision",
        field: "amount",
      });
    });

    test("POST JSON: a repeated key is ambiguous, not last-one-wins", async () => {
      const f = await createFixture(t.store);
      const body = '{"event":"registration","txid":"a","txid":"b","player_id":"p"}';
      const answer = await signedPost(t.url, f, body);
      await assertRefused(t.store, f.operator.id, answer, {
        status: 400,
        code: "ambiguous_parameter",
        field: "txid",
      });
    });

    test("mapping: btag and click_id both naming click_id is ambiguous", async () => {
      const f = await createFixture(t.store, { mapping: { params: { btag: "click_id" }, values: {} } });
      const answer = await signedGet(t.url, f, [...reg(), ["btag", "a"], ["click_id", "b"]]);
      await assertRefused(t.store, f.operator.id, answer, {
        status: 400,
        code: "ambiguous_parameter",
        field: "click_id",
      });
    });

    test("repeated ts or sig is ambiguous even when every value was signed", async () => {
      const f = await createFixture(t.store);
      const ts = String(nowSeconds());
      const pairs: Pairs = [...reg(), ["ts", ts], ["ts", "1"]];
      const sig = signQuery(secretBytes(f.secret), pairs);
      const query = new URLSearchParams([...pairs, ["sig", sig]]).toString();
      const answer = await getPostback(t.url, f.operator.key, query);
      await assertRefused(t.store, f.operator.id, answer, {
        status: 400,
        code: "ambiguous_parameter",
        field: "ts",
      });
    });

    test("allowed variants: negative revenue, BHD 3 decimals, JPY whole, lowercase currency", async () => {
      const f = await createFixture(t.store);
      const cases: Pairs[] = [
        money("-12.50", "EUR", "revenue").map(([n, v]) => [n, n === "txid" ? "ok-1" : v]),
        money("1.125", "BHD").map(([n, v]) => [n, n === "txid" ? "ok-2" : v]),
        money("1000", "jpy").map(([n, v]) => [n, n === "txid" ? "ok-3" : v]),
      ];
      for (const params of cases) {
        const answer = await signedGet(t.url, f, params);
        assert.equal(answer.status, 200, answer.text);
      }
      const rows = await t.store.listConversions({ operatorId: f.operator.id });
      assert.deepEqual(
        rows.map((r) => r.amountMinor).sort((a, b) => a! - b!),
        [-1250, 1000, 1125],
      );
    });

    test("neither click_id nor player_id: kept as unattributed (no_click_id), not refused", async () => {
      const f = await createFixture(t.store);
      const answer = await signedGet(t.url, f, [
        ["event", "registration"],
        ["txid", "nc-1"],
      ]);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body["unattributed_reason"], "no_click_id");
    });
  });
}
