/**
 * The step trace of test postbacks over real HTTP, on both engines: every step with its inputs and
 * outcome (accepted, refused at authentication, conflict), scoped like the request log, and never
 * collected for a live postback.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
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
  postback,
  signedQuery,
  type World,
} from "./admin-kit.ts";

// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
type Step = { step: string; outcome: string; summary: string; details: any };

const stepOf = (steps: readonly Step[], name: string): Step => {
  const found = steps.find((s) => s.step === name);
  assert.ok(found, `step ${name} in ${JSON.stringify(steps)}`);
  return found;
};

for (const engine of await availableEngines()) {
  describe(`postback step trace (${engine})`, { timeout: 60_000 }, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    let cid: string;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "60000" });
      admin = client(t.url, t.adminKey);
      world = await createWorld(t, "Trace");
      cid = await click(t, world);
      const plan = { terms: cpaTerms(10000), effective_from: "2000-01-01T00:00:00Z" };
      expectStatus(await admin("POST", `/v1/programs/${world.program.id}/plans`, plan), 201);
      for (const include_test of [true, false]) {
        expectStatus(
          await admin("POST", "/v1/endpoints", {
            affiliate_id: world.affiliate.id,
            url_template: `http://127.0.0.1:9/pb?cid={click_id}&e={event}&test=${include_test}`,
            include_test,
          }),
          201,
        );
      }
    });
    after(() => t?.close());

    const trace = async (call: Call, url: string): Promise<Step[]> => {
      const reply = await call("GET", url);
      expectStatus(reply, 200);
      return reply.body.steps;
    };

    test("an accepted test ftd: every step, in order, with its inputs", async () => {
      const answer = await postback(
        t.url,
        world.operator.key,
        signedQuery(world.secret, [
          ["event", "ftd"],
          ["txid", "trace-ftd-1"],
          ["click_id", cid],
          ["player_id", "tp-1"],
          ["amount", "120.00"],
          ["currency", "EUR"],
          ["test", "1"],
        ]),
      );
      expectStatus(answer, 200);
      assert.equal(answer.body.test, true);
      assert.match(answer.body.trace_url, /^\/v1\/request-log\/rq_[^/]+\/trace$/);
      const steps = await trace(admin, answer.body.trace_url);
      assert.deepEqual(
        steps.map((s) => s.step),
        [
          "operator",
          "authentication",
          "mapping",
          "validation",
          "idempotency",
          "attribution",
          "commissions",
          "outbound",
        ],
      );
      assert.equal(stepOf(steps, "operator").details.operator_id, world.operator.id);
      const auth = stepOf(steps, "authentication");
      assert.equal(auth.outcome, "passed");
      assert.equal(auth.details.matched_secret, 1);
      assert.equal(typeof auth.details.skew_seconds, "number");
      assert.equal(stepOf(steps, "validation").details.fields.amount_minor, 12000);
      assert.equal(stepOf(steps, "idempotency").summary, "txid trace-ftd-1 is new.");
      const attribution = stepOf(steps, "attribution");
      assert.equal(attribution.details.click.link_id, world.link.id);
      assert.equal(attribution.details.click.affiliate_id, world.affiliate.id);
      assert.equal(attribution.details.click.within_lookback, true);
      assert.ok(attribution.details.would_bind_player, "a test event shows the binding it would make");
      const commissions = stepOf(steps, "commissions");
      assert.equal(commissions.outcome, "skipped");
      assert.match(commissions.summary, /Test events earn no commission/);
      const outbound = stepOf(steps, "outbound");
      assert.equal(outbound.outcome, "passed");
      assert.equal(outbound.details.deliveries.length, 1);
      assert.equal(outbound.details.deliveries[0].method, "GET");
      assert.equal(outbound.details.deliveries[0].url, `http://127.0.0.1:9/pb?cid=${cid}&e=ftd&test=true`);
      assert.equal(outbound.details.endpoints_not_taking_test_events.length, 1);

      // The operator sees its own trace, without the affiliate's endpoint URL; an affiliate none.
      const operatorKey = await t.key("operator", { operatorId: world.operator.id });
      const seen = stepOf(await trace(client(t.url, operatorKey), answer.body.trace_url), "outbound");
      assert.equal(seen.details.deliveries[0].url, undefined);
      assert.equal(seen.details.deliveries[0].endpoint_id, outbound.details.deliveries[0].endpoint_id);
      const otherWorld = await createWorld(t, "Other");
      const otherKey = await t.key("operator", { operatorId: otherWorld.operator.id });
      expectStatus(await client(t.url, otherKey)("GET", answer.body.trace_url), 404, "not_found");
      const affiliateKey = await t.key("affiliate", { affiliateId: world.affiliate.id });
      expectStatus(await client(t.url, affiliateKey)("GET", answer.body.trace_url), 403, "forbidden");
    });

    test("a test postback refused at authentication: the failed step with its diagnostics", async () => {
      const query = signedQuery(world.secret, [
        ["event", "registration"],
        ["txid", "trace-bad-sig"],
        ["test", "1"],
      ]).replace(/sig=[0-9a-f]{4}/, "sig=0000");
      const answer = await postback(t.url, world.operator.key, query);
      expectStatus(answer, 401, "invalid_signature");
      const steps = await trace(admin, answer.body.trace_url);
      const auth = stepOf(steps, "authentication");
      assert.equal(auth.outcome, "failed");
      assert.equal(auth.details.code, "invalid_signature");
      assert.equal(auth.details.matched_secret, null);
      assert.ok(auth.details.diagnostics.verified, "what was verified");
      // What the signature was checked over is kept for verify --log-entry (never the secret).
      const evidence = await admin("GET", answer.body.trace_url.replace(/\/trace$/, "/signature"));
      expectStatus(evidence, 200);
      assert.equal(evidence.body.query, query);
      for (const later of [
        "mapping",
        "validation",
        "idempotency",
        "attribution",
        "commissions",
        "outbound",
      ]) {
        const step = stepOf(steps, later);
        assert.equal(step.outcome, "skipped", later);
        assert.match(step.summary, /authentication step refused/);
      }
    });

    test("a repeated test txid: duplicate, or a conflict naming what differs", async () => {
      const params = (amount: string): Array<[string, string]> => [
        ["event", "deposit"],
        ["txid", "trace-dep-1"],
        ["player_id", "tp-2"],
        ["amount", amount],
        ["currency", "EUR"],
        ["test", "1"],
      ];
      expectStatus(await postback(t.url, world.operator.key, signedQuery(world.secret, params("10"))), 200);
      const again = await postback(t.url, world.operator.key, signedQuery(world.secret, params("10")));
      expectStatus(again, 200, "duplicate");
      const duplicate = stepOf(await trace(admin, again.body.trace_url), "idempotency");
      assert.equal(duplicate.details.result, "duplicate");
      const conflict = await postback(t.url, world.operator.key, signedQuery(world.secret, params("11")));
      expectStatus(conflict, 409, "txid_conflict");
      const step = stepOf(await trace(admin, conflict.body.trace_url), "idempotency");
      assert.equal(step.outcome, "failed");
      assert.deepEqual(step.details.differences, [{ field: "amount_minor", stored: 1000, received: 1100 }]);
    });

    test("a live postback traced on request (Postwire-Trace: 1): commissions and deliveries written", async () => {
      const query = signedQuery(world.secret, [
        ["event", "ftd"],
        ["txid", "trace-live-ftd"],
        ["click_id", await click(t, world)],
        ["player_id", "tp-live"],
        ["amount", "80.00"],
        ["currency", "EUR"],
      ]);
      const response = await fetch(`${t.url}/v1/postback/${world.operator.key}?${query}`, {
        headers: { "postwire-trace": "1" },
      });
      const answer = (await response.json()) as { code: string; trace_url: string };
      assert.equal(answer.code, "accepted");
      const reply = await admin("GET", answer.trace_url);
      assert.equal(reply.body.mode, "requested");
      assert.deepEqual(reply.body.result, {
        code: "accepted",
        method: "GET",
        program_id: world.program.id,
        event: "ftd",
        reverses_id: null,
      });
      const steps = reply.body.steps as Step[];
      const commissions = stepOf(steps, "commissions");
      assert.equal(commissions.outcome, "passed");
      assert.match(commissions.summary, /ledger entr(y|ies) written\./);
      const cpa = commissions.details.entries.find((e: { component: string }) => e.component === "cpa");
      assert.equal(cpa.amount_minor, 10000);
      assert.ok(cpa.explain, "the entry explains itself");
      const outbound = stepOf(steps, "outbound");
      // Live: both endpoints fire, those taking test events or not.
      assert.match(outbound.summary, /2 deliveries queued\./);
      assert.deepEqual(
        outbound.details.deliveries.map((d: { url: string }) => d.url.replace(/^.*&test=/, "")).sort(),
        ["false", "true"],
      );
      assert.equal(stepOf(steps, "attribution").details.binds_player.affiliate_id, world.affiliate.id);
    });

    test("an untraced live postback: its trace rebuilt on request from the records", async () => {
      const logOf = async (txid: string): Promise<string> => {
        const reply = await admin("GET", `/v1/request-log?operator_id=${world.operator.id}&txid=${txid}`);
        return reply.body.data[0].id;
      };
      const answer = await postback(
        t.url,
        world.operator.key,
        signedQuery(world.secret, [
          ["event", "ftd"],
          ["txid", "rebuilt-ftd"],
          ["click_id", await click(t, world)],
          ["player_id", "tp-rebuilt"],
          ["amount", "90.00"],
          ["currency", "EUR"],
        ]),
      );
      expectStatus(answer, 200, "accepted");
      const id = await logOf("rebuilt-ftd");
      const reply = await admin("GET", `/v1/request-log/${id}/trace`);
      expectStatus(reply, 200);
      assert.equal(reply.body.mode, "rebuilt");
      const steps = reply.body.steps as Step[];
      assert.deepEqual(
        steps.map((s) => [s.step, s.outcome]),
        [
          ["operator", "passed"],
          ["authentication", "passed"],
          ["mapping", "passed"],
          ["validation", "passed"],
          ["idempotency", "passed"],
          ["attribution", "passed"],
          ["commissions", "passed"],
          ["outbound", "passed"],
        ],
      );
      assert.equal(stepOf(steps, "validation").details.fields.amount_minor, 9000);
      assert.equal(stepOf(steps, "attribution").details.affiliate_id, world.affiliate.id);
      assert.equal(stepOf(steps, "commissions").details.entries[0].component, "cpa");
      assert.equal(stepOf(steps, "outbound").details.deliveries.length, 2);
      assert.match(stepOf(steps, "outbound").details.deliveries[0].url, /cid=/);
      const operatorKey = await t.key("operator", { operatorId: world.operator.id });
      const seen = await client(t.url, operatorKey)("GET", `/v1/request-log/${id}/trace`);
      assert.equal(stepOf(seen.body.steps, "outbound").details.deliveries[0].url, undefined);

      const bad = await postback(
        t.url,
        world.operator.key,
        signedQuery(world.secret, [
          ["event", "ftd"],
          ["txid", "rebuilt-bad"],
          ["amount", "1.234"],
          ["currency", "EUR"],
        ]),
      );
      expectStatus(bad, 400, "amount_precision");
      const refused = (await admin("GET", `/v1/request-log/${await logOf("rebuilt-bad")}/trace`)).body;
      assert.equal(stepOf(refused.steps, "validation").outcome, "failed");
      assert.equal(stepOf(refused.steps, "validation").details.code, "amount_precision");
      assert.equal(stepOf(refused.steps, "commissions").outcome, "skipped");
    });

    test("deliveries list test and live apart (test filter)", async () => {
      const list = async (query: string) => {
        const reply = await admin("GET", `/v1/deliveries?affiliate_id=${world.affiliate.id}${query}`);
        expectStatus(reply, 200);
        return reply.body.data as Array<{ test: boolean }>;
      };
      const all = await list("");
      const tests = await list("&test=true");
      const lives = await list("&test=false");
      assert.ok(tests.length > 0 && lives.length > 0, "both kinds were queued by the tests above");
      assert.ok(tests.every((d) => d.test));
      assert.ok(lives.every((d) => !d.test));
      assert.equal(tests.length + lives.length, all.length);
    });

    test("a live postback is not traced: no trace_url, no trace row", async () => {
      const before = (await tableCounts(t.databaseUrl))["postback_traces"];
      const answer = await postback(
        t.url,
        world.operator.key,
        signedQuery(world.secret, [
          ["event", "registration"],
          ["txid", "trace-live-1"],
        ]),
      );
      expectStatus(answer, 200, "accepted");
      assert.equal(answer.body.trace_url, undefined);
      assert.equal((await tableCounts(t.databaseUrl))["postback_traces"], before);
    });
  });
}
