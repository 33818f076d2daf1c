/**
 * Validate-only (`Postwire-Validate-Only: 1`): the whole pipeline in a transaction rolled back, on
 * both engines over real HTTP. Every table is counted before and after: only the request log (the
 * row marked validate-only) and its trace grow. The answer is the one a real run then gives.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { tableCounts } from "../../helpers/table-counts.ts";
import {
  type Call,
  click,
  client,
  cpaTerms,
  createWorld,
  expectStatus,
  signedQuery,
  type World,
} from "./admin-kit.ts";

const VALIDATE = { "postwire-validate-only": "1" };

for (const engine of await availableEngines()) {
  describe(`validate-only postbacks (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "60000" });
      admin = client(t.url, t.adminKey);
      world = await createWorld(t, "Validate");
      const plan = { terms: cpaTerms(10000), effective_from: "2000-01-01T00:00:00Z" };
      expectStatus(await admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
      expectStatus(
        await admin("POST", "/v1/endpoints", {
          affiliate_id: world.affiliate.id,
          url_template: "http://127.0.0.1:9/pb?cid={click_id}&payout={payout}",
        }),
        201,
      );
    });
    after(() => t?.close());

    async function send(query: string, headers: Record<string, string> = {}) {
      const response = await fetch(`${t.url}/v1/postback/${world.operator.key}?${query}`, { headers });
      // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    }

    test("a live ftd validated stores nothing, and answers as the real run then does", async () => {
      const cid = await click(t, world);
      const query = signedQuery(world.secret, [
        ["event", "ftd"],
        ["txid", "vo-ftd-1"],
        ["click_id", cid],
        ["player_id", "vp-1"],
        ["amount", "150.00"],
        ["currency", "EUR"],
      ]);
      const beforeCounts = await tableCounts(t.databaseUrl);
      const dry = await send(query, VALIDATE);
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.equal(dry.body.validate_only, true);
      const afterCounts = await tableCounts(t.databaseUrl);
      const grown = Object.keys(afterCounts).filter((name) => afterCounts[name] !== beforeCounts[name]);
      // Only the request log's row (and the hourly rollup that counts it, as it counts every logged
      // request) and the trace: no conversion, binding, ledger entry or delivery.
      assert.deepEqual(grown.sort(), ["postback_rollup", "postback_traces", "request_log"]);
      assert.equal(afterCounts["request_log"], beforeCounts["request_log"]! + 1);

      // The trace is inline and at trace_url: commissions and deliveries that would be written.
      // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
      const steps = dry.body.trace as Array<{ step: string; outcome: string; summary: string; details: any }>;
      const commissions = steps.find((s) => s.step === "commissions")!;
      assert.equal(commissions.outcome, "passed", JSON.stringify(commissions));
      assert.match(commissions.summary, /would be written \(rolled back\)/);
      assert.ok(commissions.details.entries[0].explain, "each entry explains itself");
      const outbound = steps.find((s) => s.step === "outbound")!;
      assert.match(outbound.summary, /would be queued/);
      assert.match(outbound.details.deliveries[0].url, new RegExp(`cid=${cid}&payout=`));
      const stored = await admin("GET", dry.body.trace_url);
      expectStatus(stored, 200);
      assert.equal(stored.body.mode, "validate_only");
      const [log] = (await admin("GET", `/v1/request-log?operator_id=${world.operator.id}&txid=vo-ftd-1`))
        .body.data;
      assert.match(log.reason, /^Validate-only: nothing stored\./);
      // A test, not an accepted event: nothing was stored, so the dashboards' accepted counts (the
      // postback rollup, as the request log's outcome) do not count it.
      assert.equal(log.outcome, "test");
      const db = openDriver(t.databaseUrl);
      try {
        const counted = await db.all(
          "SELECT outcome, SUM(count) AS n FROM postback_rollup WHERE program_id = ? GROUP BY outcome",
          [world.program.id],
        );
        assert.deepEqual(
          counted.map((r) => [r["outcome"], Number(r["n"])]),
          [["test", 1]],
        );
      } finally {
        await db.close();
      }

      // The real run: the same answer (but its own conversion id), and now it is stored.
      const real = await send(query);
      assert.equal(real.status, 200);
      const { conversion_id: _a, validate_only: _b, trace: _c, trace_url: _d, ...dryRest } = dry.body;
      const { conversion_id: _e, ...realRest } = real.body;
      assert.deepEqual(dryRest, realRest);
      const realCounts = await tableCounts(t.databaseUrl);
      for (const table of ["conversions", "players", "ledger_entries", "deliveries"])
        assert.ok(realCounts[table]! > afterCounts[table]!, `the real run writes ${table}`);

      // Validated again: the duplicate a real retry gets, still storing nothing.
      const again = await send(query, VALIDATE);
      assert.equal(again.body.code, "duplicate");
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      const last = await tableCounts(t.databaseUrl);
      assert.equal(last["conversions"], realCounts["conversions"]);
      assert.equal(last["ledger_entries"], realCounts["ledger_entries"]);
    });

    test("a refused payload validated: the refusal and its trace, nothing stored", async () => {
      const beforeCounts = await tableCounts(t.databaseUrl);
      const dry = await send(
        signedQuery(world.secret, [
          ["event", "ftd"],
          ["txid", "vo-bad-1"],
          ["amount", "12.345"],
          ["currency", "EUR"],
        ]),
        VALIDATE,
      );
      assert.equal(dry.status, 400);
      assert.equal(dry.body.code, "amount_precision");
      assert.equal(dry.body.validate_only, true);
      const validation = dry.body.trace.find((s: { step: string }) => s.step === "validation");
      assert.equal(validation.outcome, "failed");
      assert.equal(validation.details.field, "amount");
      const afterCounts = await tableCounts(t.databaseUrl);
      assert.equal(afterCounts["conversions"], beforeCounts["conversions"]);
      assert.equal(afterCounts["request_log"], beforeCounts["request_log"]! + 1);
    });
  });
}
