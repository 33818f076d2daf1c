/**
 * GET /v1/commissions/payouts on both engines: filters, newest first, and tenant scoping (an
 * affiliate key its own; an operator key one of its programs, seeing only that program's share).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  convert,
  expectStatus,
  type PayoutWire as Payout,
  payingWorlds,
  type World,
} from "./admin-kit.ts";

for (const engine of await availableEngines()) {
  describe(`listing payouts (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let a: World;
    let b: World;
    /** Affiliate A's payout: a CPA on A's program (10000) and one on B's program (7000). */
    let paidA: Payout;
    /** Affiliate B's payout: a CPA on B's program (7000). */
    let paidB: Payout;
    const period = new Date().toISOString().slice(0, 7);
    const list = async (call: Call, query = "") => {
      const reply = await call("GET", `/v1/commissions/payouts${query}`);
      expectStatus(reply, 200);
      return reply.body.data as Payout[];
    };
    const pay = async (affiliateId: number) => {
      const reply = await admin("POST", "/v1/commissions/payouts", { period, affiliate_id: affiliateId });
      expectStatus(reply, 201);
      assert.equal(reply.body.data.length, 1);
      return reply.body.data[0] as Payout;
    };

    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      ({ a, b } = await payingWorlds(t, admin));
      // Affiliate A also promotes B's program, so its payout spans both operators.
      const crossLink = await admin("POST", "/v1/links", {
        affiliate_id: a.affiliate.id,
        program_id: b.program.id,
      });
      expectStatus(crossLink, 201);
      const aOnB: World = { ...b, affiliate: a.affiliate, link: crossLink.body };
      for (const world of [a, aOnB, b]) await convert(t, world, await click(t, world));
      paidA = await pay(a.affiliate.id);
      paidB = await pay(b.affiliate.id);
    });
    after(() => t.close());

    test("admin: every payout newest first, with filters and a limit", async () => {
      const newestFirst = [paidA, paidB].sort(
        (x, y) => y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id),
      );
      assert.deepEqual(await list(admin), newestFirst);
      assert.deepEqual(await list(admin, "?limit=1"), newestFirst.slice(0, 1));
      assert.deepEqual(await list(admin, `?affiliate_id=${a.affiliate.id}`), [paidA]);
      assert.deepEqual(await list(admin, `?period=${period}&affiliate_id=${b.affiliate.id}`), [paidB]);
      assert.deepEqual(await list(admin, "?period=1999-01"), []);
      assert.deepEqual(
        [paidA.amount_minor, paidA.entries, paidA.currency, paidA.period],
        [17000, 2, "EUR", period],
      );
      assert.match(paidA.created_at, /^\d{4}-\d{2}-\d{2}T/);
      expectStatus(await admin("GET", "/v1/commissions/payouts?period=2026-13"), 400, "validation_failed");
      expectStatus(await admin("GET", "/v1/commissions/payouts?status=paid"), 400, "validation_failed");
    });

    test("program_id narrows each payout to that program's share", async () => {
      const shares = await list(admin, `?program_id=${b.program.id}`);
      assert.deepEqual(
        shares
          .map((p) => [p.id, p.affiliate_id, p.amount_minor, p.entries])
          .sort((x, y) => Number(x[1]) - Number(y[1])),
        [
          [paidA.id, a.affiliate.id, 7000, 1],
          [paidB.id, b.affiliate.id, 7000, 1],
        ],
      );
      assert.deepEqual(
        (await list(admin, `?program_id=${a.program.id}`)).map((p) => [p.id, p.amount_minor, p.entries]),
        [[paidA.id, 10000, 1]],
      );
    });

    test("an affiliate key sees only its own payouts", async () => {
      const mine = client(t.url, await t.key("affiliate", { affiliateId: b.affiliate.id }));
      assert.deepEqual(await list(mine), [paidB]);
      const other = `/v1/commissions/payouts?affiliate_id=${a.affiliate.id}`;
      expectStatus(await mine("GET", other), 403, "forbidden");
      const unpaid = await admin("POST", "/v1/affiliates", { name: "Unpaid partner" });
      expectStatus(unpaid, 201);
      const none = client(t.url, await t.key("affiliate", { affiliateId: unpaid.body.id }));
      assert.deepEqual(await list(none), []);
    });

    test("an operator key names one of its programs and sees only that program's share", async () => {
      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      expectStatus(await operatorA("GET", "/v1/commissions/payouts"), 400, "missing_field", "program_id");
      const own = await list(operatorA, `?program_id=${a.program.id}`);
      assert.deepEqual(
        own.map((p) => [p.id, p.amount_minor, p.entries]),
        [[paidA.id, 10000, 1]],
        "A's payout without the 7000 earned on B's program",
      );
      const foreign = `/v1/commissions/payouts?program_id=${b.program.id}`;
      expectStatus(await operatorA("GET", foreign), 404, "not_found");
      const operatorB = client(t.url, await t.key("operator", { operatorId: b.operator.id }));
      expectStatus(
        await operatorB("GET", `/v1/commissions/payouts?program_id=${a.program.id}`),
        404,
        "not_found",
      );
    });
  });
}
