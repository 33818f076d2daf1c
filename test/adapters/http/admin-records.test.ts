import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  convert,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  type World,
} from "./admin-kit.ts";

for (const engine of await availableEngines()) {
  describe(`conversions, request log and clicks (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let a: World;
    let b: World;
    let clickA: string;
    let attributed: string;
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      a = await createWorld(t, "Alpha");
      b = await createWorld(t, "Beta");
      clickA = await click(t, a);
      attributed = await convert(t, a, clickA);
      await convert(t, b, await click(t, b));
      const unattributed = signedQuery(a.secret, [
        ["event", "registration"],
        ["txid", "reg-unattributed"],
        ["click_id", "no-such-click"],
      ]);
      expectStatus(await postback(t.url, a.operator.key, unattributed), 200, "accepted");
      const badSignature = `${unattributed.replace(/sig=[0-9a-f]+/, `sig=${"0".repeat(64)}`)}`;
      expectStatus(await postback(t.url, a.operator.key, badSignature), 401, "invalid_signature");
    });
    after(() => t.close());

    test("a conversion reads back in full, with its exact amount", async () => {
      const reply = await admin("GET", `/v1/conversions/${attributed}`);
      expectStatus(reply, 200);
      assert.equal(reply.body.operator_id, a.operator.id);
      assert.equal(reply.body.affiliate_id, a.affiliate.id);
      assert.equal(reply.body.link_id, a.link.id);
      assert.equal(reply.body.click_id, clickA);
      assert.equal(reply.body.amount, "50.00");
      assert.equal(reply.body.amount_minor, 5000);
      assert.equal(reply.body.attributed, true);
      assert.match(reply.body.received_at, /^\d{4}-\d{2}-\d{2}T/);
      expectStatus(await admin("GET", "/v1/conversions/cv_missing"), 404, "not_found");
    });

    test("conversions filter by operator, affiliate, program, attribution and time", async () => {
      const byOperator = await admin("GET", `/v1/conversions?operator_id=${a.operator.id}`);
      assert.equal(byOperator.body.data.length, 2);
      const unattributed = await admin(
        "GET",
        `/v1/conversions?operator_id=${a.operator.id}&attributed=false`,
      );
      assert.deepEqual(
        unattributed.body.data.map((c: { txid: string; unattributed_reason: string }) => [
          c.txid,
          c.unattributed_reason,
        ]),
        [["reg-unattributed", "click_id_invalid"]],
      );
      const byAffiliate = await admin("GET", `/v1/conversions?affiliate_id=${b.affiliate.id}`);
      assert.deepEqual(
        byAffiliate.body.data.map((c: { operator_id: number }) => c.operator_id),
        [b.operator.id],
      );
      const byProgram = await admin("GET", `/v1/conversions?program_id=${a.program.id}&attributed=true`);
      assert.deepEqual(
        byProgram.body.data.map((c: { id: string }) => c.id),
        [attributed],
      );
      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.equal((await admin("GET", `/v1/conversions?since=${future}`)).body.data.length, 0);
      assert.equal((await admin("GET", `/v1/conversions?until=${future}&limit=1`)).body.data.length, 1);
    });

    test("the request log filters by operator, code and txid", async () => {
      const refused = await admin(
        "GET",
        `/v1/request-log?operator_id=${a.operator.id}&code=invalid_signature`,
      );
      expectStatus(refused, 200);
      assert.equal(refused.body.data.length, 1);
      assert.equal(refused.body.data[0].status, 401);
      assert.equal(typeof refused.body.data[0].raw, "object");
      const byTxid = await admin("GET", "/v1/request-log?txid=reg-unattributed&code=accepted");
      assert.equal(byTxid.body.data.length, 1);
      assert.equal(byTxid.body.data[0].operator_id, a.operator.id);
    });

    test("clicks filter by affiliate and link; admin may narrow to one operator", async () => {
      const byLink = await admin("GET", `/v1/clicks?link_id=${a.link.id}`);
      assert.deepEqual(
        byLink.body.data.map((c: { click_id: string }) => c.click_id),
        [clickA],
      );
      const byAffiliate = await admin("GET", `/v1/clicks?affiliate_id=${b.affiliate.id}`);
      assert.equal(byAffiliate.body.data.length, 1);
      assert.equal(byAffiliate.body.data[0].link_id, b.link.id);
      const byOperator = await admin("GET", `/v1/clicks?operator_id=${a.operator.id}`);
      assert.deepEqual(
        byOperator.body.data.map((c: { click_id: string }) => c.click_id),
        [clickA],
      );
      assert.equal((await admin("GET", "/v1/clicks")).body.data.length, 2);
    });

    test("an operator's clicks across its links come from one store query, newest first", async (ctx) => {
      const second = await admin("POST", "/v1/links", {
        affiliate_id: b.affiliate.id,
        program_id: a.program.id,
      });
      expectStatus(second, 201);
      const clickOnSecond = await click(t, { ...a, link: second.body });
      const listClicks = ctx.mock.method(t.store, "listClicks");
      const links = ctx.mock.method(t.store.links, "list");
      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      const ids = async (call: Call, query = "") =>
        (await call("GET", `/v1/clicks${query}`)).body.data.map((c: { click_id: string }) => c.click_id);
      const both = await ids(operatorA);
      assert.deepEqual(new Set(both), new Set([clickA, clickOnSecond]));
      assert.equal(listClicks.mock.callCount(), 1);
      assert.equal(links.mock.callCount(), 0);
      assert.deepEqual(await ids(operatorA, "?limit=1"), both.slice(0, 1));
      assert.deepEqual(await ids(operatorA, `?affiliate_id=${b.affiliate.id}`), [clickOnSecond]);
      assert.deepEqual(await ids(operatorA, `?link_id=${b.link.id}`), []);
      assert.deepEqual(await ids(admin, `?operator_id=${a.operator.id}`), both);
      assert.deepEqual(
        await ids(admin, `?operator_id=${b.operator.id}`),
        await ids(admin, `?link_id=${b.link.id}`),
      );
    });
  });
}
