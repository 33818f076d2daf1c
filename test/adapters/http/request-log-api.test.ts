/**
 * GET /v1/request-log filtered by program, outcome, status and code; one entry with its raw
 * request, answer and conversion; the filtered list as CSV; conversions filtered by event type,
 * test flag and event time. Seeded through the real HTTP postback endpoint, on both engines.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  type World,
} from "./admin-kit.ts";

const HOUR = 3_600_000;

for (const engine of await availableEngines()) {
  describe(`request log by program, outcome, status (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let a: World;
    let b: World;
    /** txid of each kind of request sent for operator A. */
    const sent = {
      accepted: "acc-1",
      duplicate: "acc-1",
      unattributed: "una-1",
      test: "tst-1",
      badSignature: "sig-1",
      badEvent: '=HYPERLINK("http://evil.example")',
    };
    const occurredOld = new Date(Date.now() - 48 * HOUR).toISOString();
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      a = await createWorld(t, "Alpha");
      b = await createWorld(t, "Beta");
      const clickA = await click(t, a);
      const ftd = signedQuery(a.secret, [
        ["event", "ftd"],
        ["txid", sent.accepted],
        ["click_id", clickA],
        ["amount", "10.00"],
        ["currency", "EUR"],
        ["occurred_at", occurredOld],
      ]);
      expectStatus(await postback(t.url, a.operator.key, ftd), 200, "accepted");
      expectStatus(await postback(t.url, a.operator.key, ftd), 200, "duplicate");
      const unattributed = signedQuery(a.secret, [
        ["event", "registration"],
        ["txid", sent.unattributed],
        ["click_id", "no-such-click"],
      ]);
      expectStatus(await postback(t.url, a.operator.key, unattributed), 200, "accepted");
      const testEvent = signedQuery(a.secret, [
        ["event", "registration"],
        ["txid", sent.test],
        ["click_id", await click(t, a)],
        ["test", "1"],
      ]);
      expectStatus(await postback(t.url, a.operator.key, testEvent), 200, "accepted");
      const forged = signedQuery(a.secret, [
        ["event", "ftd"],
        ["txid", sent.badSignature],
      ]).replace(/sig=[0-9a-f]+/, `sig=${"0".repeat(64)}`);
      expectStatus(await postback(t.url, a.operator.key, forged), 401, "invalid_signature");
      const badEvent = signedQuery(a.secret, [
        ["event", "no_such_event"],
        ["txid", sent.badEvent],
        ["click_id", await click(t, a)],
      ]);
      expectStatus(await postback(t.url, a.operator.key, badEvent), 400);
      const other = signedQuery(b.secret, [
        ["event", "registration"],
        ["txid", "beta-1"],
        ["click_id", await click(t, b)],
      ]);
      expectStatus(await postback(t.url, b.operator.key, other), 200, "accepted");
      // An operator with two programs: a refused signature cannot say which one it concerned.
      expectStatus(
        await admin("POST", "/v1/programs", {
          operator_id: b.operator.id,
          name: "Beta Second",
          vertical: "igaming",
          currency: "EUR",
          landing_url_template: "https://b.example/?c={click_id}",
        }),
        201,
      );
      const forgedB = signedQuery(b.secret, [
        ["event", "registration"],
        ["txid", "beta-forged"],
      ]).replace(/sig=[0-9a-f]+/, `sig=${"0".repeat(64)}`);
      expectStatus(await postback(t.url, b.operator.key, forgedB), 401, "invalid_signature");
      expectStatus(await postback(t.url, "op_nobody", "event=ftd&txid=x"), 404, "unknown_operator");
    });
    after(() => t.close());

    const txids = (reply: { body: { data: Array<{ txid: string }> } }) =>
      reply.body.data.map((r) => r.txid).sort();

    test("each outcome filter finds exactly its requests", async () => {
      const of = async (outcome: string) => {
        const reply = await admin("GET", `/v1/request-log?operator_id=${a.operator.id}&outcome=${outcome}`);
        expectStatus(reply, 200);
        for (const row of reply.body.data) assert.equal(row.outcome, outcome);
        return txids(reply);
      };
      assert.deepEqual(await of("accepted"), [sent.accepted]);
      assert.deepEqual(await of("duplicate"), [sent.duplicate]);
      assert.deepEqual(await of("unattributed"), [sent.unattributed]);
      assert.deepEqual(await of("test"), [sent.test]);
      assert.deepEqual(await of("rejected"), [sent.badEvent, sent.badSignature].sort());
      expectStatus(await admin("GET", "/v1/request-log?outcome=lost"), 400);
    });

    test("the program filter finds the requests of that program, refused ones too when it is known", async () => {
      const reply = await admin("GET", `/v1/request-log?program_id=${a.program.id}`);
      expectStatus(reply, 200);
      assert.deepEqual(
        txids(reply),
        [
          sent.accepted,
          sent.duplicate,
          sent.unattributed,
          sent.test,
          sent.badEvent,
          sent.badSignature,
        ].sort(),
        "a refused signature counts against the only program of its operator",
      );
      const refused = await admin("GET", "/v1/request-log?status=401");
      const programOf = Object.fromEntries(
        refused.body.data.map((r: { txid: string; program_id: number | null }) => [r.txid, r.program_id]),
      );
      assert.deepEqual(programOf, { [sent.badSignature]: a.program.id, "beta-forged": null });
      const unknown = await admin("GET", "/v1/request-log?code=unknown_operator");
      assert.equal(unknown.body.data.length, 1);
      assert.equal(unknown.body.data[0].program_id, null);
      assert.equal(unknown.body.data[0].operator_id, null);
      const failures = await admin("GET", `/v1/request-log?program_id=${a.program.id}&outcome=rejected`);
      assert.deepEqual(txids(failures), [sent.badEvent, sent.badSignature].sort());
      const byCode = await admin("GET", `/v1/request-log?program_id=${b.program.id}&code=accepted`);
      assert.deepEqual(txids(byCode), ["beta-1"]);
    });

    test("one entry: raw request, answer, latency and its conversion; scoped like the list", async () => {
      const listed = await admin("GET", `/v1/request-log?operator_id=${a.operator.id}&outcome=accepted`);
      const id = listed.body.data[0].id;
      const reply = await admin("GET", `/v1/request-log/${id}`);
      expectStatus(reply, 200);
      assert.equal(reply.body.raw.method, "GET");
      assert.match(reply.body.raw.query, /txid=acc-1/);
      assert.match(reply.body.raw.query, /sig=\[redacted\]/);
      assert.equal(reply.body.answer.code, "accepted");
      assert.equal(reply.body.answer.conversion_id, reply.body.conversion_id);
      assert.equal(reply.body.conversion.id, reply.body.conversion_id);
      assert.equal(reply.body.conversion.txid, sent.accepted);
      assert.ok(reply.body.latency_us >= 0);

      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      const operatorB = client(t.url, await t.key("operator", { operatorId: b.operator.id }));
      const affiliateA = client(t.url, await t.key("affiliate", { affiliateId: a.affiliate.id }));
      expectStatus(await operatorA("GET", `/v1/request-log/${id}`), 200);
      expectStatus(await operatorB("GET", `/v1/request-log/${id}`), 404, "not_found");
      expectStatus(await operatorB("GET", "/v1/request-log/rq_missing"), 404, "not_found");
      expectStatus(await affiliateA("GET", `/v1/request-log/${id}`), 403, "forbidden");
      const own = await operatorB("GET", `/v1/request-log?program_id=${a.program.id}`);
      expectStatus(own, 200);
      assert.deepEqual(own.body.data, [], "an operator key's list stays its operator's");
    });

    test("the CSV export holds every filtered row, neutralised, with a file name", async () => {
      const response = await fetch(`${t.url}/v1/request-log.csv?program_id=${a.program.id}`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/csv/);
      assert.equal(response.headers.get("content-disposition"), 'attachment; filename="request-log.csv"');
      const lines = (await response.text()).split("\r\n").filter(Boolean);
      assert.match(lines[0]!, /^id,received_at,operator_id,program_id,outcome,status,code/);
      const listed = await admin("GET", `/v1/request-log?program_id=${a.program.id}`);
      assert.equal(lines.length - 1, listed.body.data.length);
      assert.deepEqual(
        lines.slice(1).map((line) => line.split(",")[0]),
        listed.body.data.map((r: { id: string }) => r.id),
      );
      const evil = lines.find((line) => line.includes("HYPERLINK"));
      assert.ok(evil?.includes(`"'=HYPERLINK(""http://evil.example"")"`), evil);
      const refused = await fetch(`${t.url}/v1/request-log.csv`, {
        headers: { authorization: `Bearer ${await t.key("affiliate", { affiliateId: a.affiliate.id })}` },
      });
      assert.equal(refused.status, 403);
    });

    test("conversions filter by event type, test flag and event time", async () => {
      const q = `operator_id=${a.operator.id}`;
      const ftd = await admin("GET", `/v1/conversions?${q}&event=ftd`);
      assert.deepEqual(txids(ftd), [sent.accepted]);
      const tests = await admin("GET", `/v1/conversions?${q}&test=true`);
      assert.deepEqual(txids(tests), [sent.test]);
      const live = await admin("GET", `/v1/conversions?${q}&test=false`);
      assert.deepEqual(txids(live), [sent.accepted, sent.unattributed].sort());
      const old = new Date(Date.now() - 24 * HOUR).toISOString();
      const before = await admin("GET", `/v1/conversions?${q}&occurred_until=${encodeURIComponent(old)}`);
      assert.deepEqual(txids(before), [sent.accepted]);
      const since = await admin("GET", `/v1/conversions?${q}&occurred_since=${encodeURIComponent(old)}`);
      assert.deepEqual(txids(since), [sent.test, sent.unattributed].sort());
    });
  });
}
