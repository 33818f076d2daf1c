/**
 * Role scoping: an operator key sees only its operator, an affiliate key only itself. A record of
 * another tenant answers 404 (as if it did not exist); an action the role may never take, 403.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { type Call, click, client, convert, createWorld, expectStatus, type World } from "./admin-kit.ts";

const ids = (reply: { body: { data: Array<{ id?: number; click_id?: string }> } }) =>
  reply.body.data.map((row) => row.id ?? row.click_id);

for (const engine of await availableEngines()) {
  describe(`role scoping (${engine})`, () => {
    let t: TestService;
    let a: World;
    let b: World;
    let conversionA: string;
    let conversionB: string;
    let clickA: string;
    let operatorA: Call;
    let affiliateA: Call;
    before(async () => {
      t = await startTestService(engine);
      a = await createWorld(t, "Alpha");
      b = await createWorld(t, "Beta");
      clickA = await click(t, a);
      conversionA = await convert(t, a, clickA);
      conversionB = await convert(t, b, await click(t, b));
      operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      affiliateA = client(t.url, await t.key("affiliate", { affiliateId: a.affiliate.id }));
    });
    after(() => t.close());

    test("an operator key reads its own operator, programs, links, conversions, log and clicks", async () => {
      expectStatus(await operatorA("GET", `/v1/operators/${a.operator.id}`), 200);
      assert.deepEqual(ids(await operatorA("GET", "/v1/operators")), [a.operator.id]);
      assert.deepEqual(ids(await operatorA("GET", "/v1/programs")), [a.program.id]);
      assert.deepEqual(ids(await operatorA("GET", "/v1/links")), [a.link.id]);
      assert.deepEqual(ids(await operatorA("GET", "/v1/conversions")), [conversionA]);
      expectStatus(await operatorA("GET", `/v1/conversions/${conversionA}`), 200);
      const log = await operatorA("GET", "/v1/request-log");
      assert.ok(log.body.data.length >= 1);
      assert.ok(log.body.data.every((row: { operator_id: number }) => row.operator_id === a.operator.id));
      assert.deepEqual(ids(await operatorA("GET", "/v1/clicks")), [clickA]);
    });

    test("an operator key cannot read another operator's data", async () => {
      expectStatus(await operatorA("GET", `/v1/operators/${b.operator.id}`), 404, "not_found");
      expectStatus(await operatorA("GET", `/v1/programs/${b.program.id}`), 404, "not_found");
      expectStatus(await operatorA("GET", `/v1/links/${b.link.id}`), 404, "not_found");
      expectStatus(await operatorA("GET", `/v1/conversions/${conversionB}`), 404, "not_found");
      expectStatus(
        await operatorA("GET", `/v1/operators/${b.operator.id}/postback-template`),
        404,
        "not_found",
      );
      expectStatus(
        await operatorA("GET", `/v1/conversions?operator_id=${b.operator.id}`),
        403,
        "forbidden",
        "operator_id",
      );
      expectStatus(await operatorA("GET", `/v1/request-log?operator_id=${b.operator.id}`), 403, "forbidden");
      expectStatus(await operatorA("GET", `/v1/programs?operator_id=${b.operator.id}`), 403, "forbidden");
      assert.deepEqual(ids(await operatorA("GET", `/v1/links?program_id=${b.program.id}`)), []);
      expectStatus(await operatorA("GET", "/v1/affiliates"), 403, "forbidden");
    });

    test("an operator key cannot write another operator's data, nor create operators or keys", async () => {
      const mapping = { params: { btag: "click_id" } };
      expectStatus(
        await operatorA("PUT", `/v1/operators/${b.operator.id}/mapping`, mapping),
        404,
        "not_found",
      );
      const unchanged = await client(t.url, t.adminKey)("GET", `/v1/operators/${b.operator.id}`);
      assert.deepEqual(unchanged.body.mapping.params, {});
      expectStatus(await operatorA("PUT", `/v1/operators/${a.operator.id}/mapping`, mapping), 200);
      expectStatus(
        await operatorA("PATCH", `/v1/operators/${b.operator.id}`, { name: "Mine" }),
        403,
        "forbidden",
      );
      expectStatus(
        await operatorA("PATCH", `/v1/operators/${a.operator.id}`, { name: "Mine" }),
        403,
        "forbidden",
      );
      expectStatus(await operatorA("POST", `/v1/operators/${b.operator.id}/secrets`), 403, "forbidden");
      expectStatus(await operatorA("POST", "/v1/operators", { name: "Rogue" }), 403, "forbidden");
      expectStatus(await operatorA("POST", "/v1/api-keys", { name: "k", role: "admin" }), 403, "forbidden");
      expectStatus(await operatorA("GET", "/v1/api-keys"), 403, "forbidden");
      expectStatus(
        await operatorA("PATCH", `/v1/programs/${a.program.id}`, { name: "Mine" }),
        403,
        "forbidden",
      );
      expectStatus(
        await operatorA("POST", "/v1/links", { affiliate_id: a.affiliate.id, program_id: a.program.id }),
        403,
        "forbidden",
      );
    });

    test("an affiliate key reads its own record, links, conversions and clicks only", async () => {
      expectStatus(await affiliateA("GET", `/v1/affiliates/${a.affiliate.id}`), 200);
      assert.deepEqual(ids(await affiliateA("GET", "/v1/affiliates")), [a.affiliate.id]);
      assert.deepEqual(ids(await affiliateA("GET", "/v1/links")), [a.link.id]);
      expectStatus(await affiliateA("GET", `/v1/links/${a.link.id}`), 200);
      assert.deepEqual(ids(await affiliateA("GET", "/v1/conversions")), [conversionA]);
      assert.deepEqual(ids(await affiliateA("GET", "/v1/clicks")), [clickA]);
    });

    test("an affiliate key cannot read another affiliate's links or conversions", async () => {
      expectStatus(await affiliateA("GET", `/v1/affiliates/${b.affiliate.id}`), 404, "not_found");
      expectStatus(await affiliateA("GET", `/v1/links/${b.link.id}`), 404, "not_found");
      expectStatus(await affiliateA("GET", `/v1/conversions/${conversionB}`), 404, "not_found");
      expectStatus(
        await affiliateA("GET", `/v1/links?affiliate_id=${b.affiliate.id}`),
        403,
        "forbidden",
        "affiliate_id",
      );
      expectStatus(
        await affiliateA("GET", `/v1/conversions?affiliate_id=${b.affiliate.id}`),
        403,
        "forbidden",
      );
      expectStatus(await affiliateA("GET", `/v1/clicks?affiliate_id=${b.affiliate.id}`), 403, "forbidden");
      assert.deepEqual(ids(await affiliateA("GET", `/v1/conversions?operator_id=${b.operator.id}`)), []);
    });

    test("an affiliate key cannot see operators or the request log, nor write anything", async () => {
      expectStatus(await affiliateA("GET", "/v1/operators"), 403, "forbidden");
      expectStatus(await affiliateA("GET", `/v1/operators/${a.operator.id}`), 403, "forbidden");
      expectStatus(await affiliateA("GET", "/v1/programs"), 403, "forbidden");
      expectStatus(await affiliateA("GET", "/v1/request-log"), 403, "forbidden");
      expectStatus(await affiliateA("POST", "/v1/operators", { name: "Rogue" }), 403, "forbidden");
      expectStatus(await affiliateA("POST", "/v1/api-keys", { name: "k", role: "admin" }), 403, "forbidden");
      expectStatus(
        await affiliateA("PATCH", `/v1/affiliates/${a.affiliate.id}`, { name: "Me" }),
        403,
        "forbidden",
      );
      expectStatus(
        await affiliateA("PATCH", `/v1/links/${b.link.id}`, { status: "paused" }),
        403,
        "forbidden",
      );
    });

    test("a revoked key answers 401 at once", async () => {
      const admin = client(t.url, t.adminKey);
      const issued = await admin("POST", "/v1/api-keys", {
        name: "temp",
        role: "affiliate",
        affiliate_id: b.affiliate.id,
      });
      const temp = client(t.url, issued.body.key);
      expectStatus(await temp("GET", "/v1/links"), 200);
      expectStatus(await admin("DELETE", `/v1/api-keys/${issued.body.id}`), 200);
      expectStatus(await temp("GET", "/v1/links"), 401, "unauthorized");
    });
  });
}
