/**
 * A new program starts with its vertical's preset plan unless the request asks for none, and a
 * program without a plan says so (issue: commissions that start right), on every engine.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PLAN_PRESETS } from "../../../src/domain/commissions/presets.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { expectStatus } from "./admin-kit.ts";
import { type Bench, clickOf, entries, ev, send, startBench, worldOf } from "./commissions-kit.ts";

for (const engine of await availableEngines()) {
  describe(`programs and their commission plan (${engine})`, () => {
    let b: Bench;
    before(async () => {
      b = await startBench(engine);
    });
    after(() => b.close());

    test("a program created without saying gets its vertical's preset, and an FTD earns it", async () => {
      const w = await worldOf(b, "igaming");
      const program = w.program as unknown as { id: number; commission_plan_id: number; warnings: unknown[] };
      assert.equal(typeof program.commission_plan_id, "number");
      assert.deepEqual(program.warnings, []);
      const plans = await b.admin("GET", `/v1/programs/${program.id}/plans`);
      expectStatus(plans, 200);
      const [plan] = plans.body.data as Array<Record<string, unknown>>;
      assert.equal(plans.body.data.length, 1);
      assert.equal(plan!["id"], program.commission_plan_id);
      assert.deepEqual(plan!["terms"], PLAN_PRESETS.igaming);
      assert.equal(plan!["affiliate_id"], null);

      const ftd = await send(
        b,
        w,
        ev("ftd", { click_id: await clickOf(b, w), player_id: "p-preset", amount: "50.00", currency: "EUR" }),
      );
      const earned = await entries(b, `conversion_id=${ftd}`);
      const cpa = earned.find((e) => e.component === "cpa");
      assert.ok(cpa, "the preset's CPA was earned");
      assert.equal(cpa.amount_minor, PLAN_PRESETS.igaming.cpa!.amountMinor);
      assert.equal(cpa.explain["plan_id"], program.commission_plan_id);
      assert.equal((await b.admin("GET", `/v1/conversions/${ftd}`)).body.no_commission_plan, false);
    });

    test('commission_plan "none": no plan, a warning on every read, gone once a plan is added', async () => {
      const w = await worldOf(b, "forex", "USD", { commission_plan: "none" });
      const created = w.program as unknown as { id: number; commission_plan_id: unknown; warnings: unknown };
      assert.equal(created.commission_plan_id, null);
      assert.deepEqual(
        (created.warnings as Array<{ code: string }>).map((x) => x.code),
        ["no_commission_plan"],
      );
      const read = await b.admin("GET", `/v1/programs/${w.program.id}`);
      assert.equal(read.body.warnings[0].code, "no_commission_plan");
      const listed = await b.admin("GET", `/v1/programs?operator_id=${w.operator.id}`);
      assert.equal(listed.body.data[0].warnings[0].code, "no_commission_plan");
      assert.deepEqual((await b.admin("GET", `/v1/programs/${w.program.id}/plans`)).body.data, []);

      const ftd = await send(
        b,
        w,
        ev("ftd", { click_id: await clickOf(b, w), player_id: "p-none", amount: "500.00", currency: "USD" }),
      );
      assert.deepEqual(await entries(b, `conversion_id=${ftd}`), [], "no plan: nothing earned");
      // …and the conversion says why, in its own record and in the list.
      assert.equal((await b.admin("GET", `/v1/conversions/${ftd}`)).body.no_commission_plan, true);
      const conversions = await b.admin("GET", `/v1/conversions?program_id=${w.program.id}`);
      assert.deepEqual(
        conversions.body.data.map((c: { no_commission_plan: boolean }) => c.no_commission_plan),
        [true],
      );

      const plan = await b.admin("POST", `/v1/programs/${w.program.id}/plans`, {
        terms: PLAN_PRESETS.forex,
        effective_from: "2000-01-01T00:00:00Z",
      });
      expectStatus(plan, 201);
      const after = await b.admin("GET", `/v1/programs/${w.program.id}`);
      assert.equal(after.body.commission_plan_id, plan.body.id);
      assert.deepEqual(after.body.warnings, []);
      // A plan in force at its time now: not "no plan" any more (a recalculation would credit it).
      assert.equal((await b.admin("GET", `/v1/conversions/${ftd}`)).body.no_commission_plan, false);
    });

    test("a plan that only starts in the future leaves the program without one now", async () => {
      const w = await worldOf(b, "prop", "EUR", { commission_plan: "none" });
      const plan = await b.admin("POST", `/v1/programs/${w.program.id}/plans`, {
        terms: PLAN_PRESETS.prop,
        effective_from: "2999-01-01T00:00:00Z",
      });
      expectStatus(plan, 201);
      const read = await b.admin("GET", `/v1/programs/${w.program.id}`);
      assert.equal(read.body.commission_plan_id, null);
      assert.equal(read.body.warnings[0].code, "no_commission_plan");
    });

    test("an unknown commission_plan choice is refused and creates nothing", async () => {
      const operators = await b.admin("GET", "/v1/operators?limit=1");
      const before = (await b.admin("GET", "/v1/programs?limit=200")).body.data.length;
      const reply = await b.admin("POST", "/v1/programs", {
        operator_id: operators.body.data[0].id,
        name: "Bad plan choice",
        vertical: "igaming",
        currency: "EUR",
        landing_url_template: "https://brand.example/",
        commission_plan: "custom",
      });
      expectStatus(reply, 400);
      assert.equal((await b.admin("GET", "/v1/programs?limit=200")).body.data.length, before);
    });
  });
}
