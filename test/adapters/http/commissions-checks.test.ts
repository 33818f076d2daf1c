/**
 * The checks the plan and FX use cases add beyond the JSON schema, through the API on every engine:
 * a rate in basis points above 10000, % of sale without events, tiers that do not climb, a lot rebate
 * group with no name and an FX rate between one currency and itself are refused with the field at
 * fault; nothing is stored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { type Call, expectStatus, startAdminWorld } from "./admin-kit.ts";

const CPA = { amountMinor: 7500, qualification: { kind: "ftd", minDepositMinor: 2500 }, clawbackDays: 30 };

for (const engine of await availableEngines()) {
  describe(`plan terms and FX rates refused by the use cases (${engine})`, () => {
    let started: Awaited<ReturnType<typeof startAdminWorld>>;
    before(async () => {
      started = await startAdminWorld(engine);
    });
    after(() => started.t.close());
    const admin: Call = (...call) => started.admin(...call);

    test("plan versions: bps over 10000, no events, falling tiers and a nameless lot group name their field", async () => {
      const path = `/v1/programs/${started.world.program.id}/plans`;
      const before_ = (await admin("GET", path)).body.data.length;
      const cases: Array<[object, string]> = [
        [{ revshare: { bps: 10_001, negativeCarryOver: false } }, "terms.revshare.bps"],
        [
          { percentOfSale: { bps: 10_001, events: ["challenge_purchase"], refundWindowDays: 1 } },
          "terms.percentOfSale.bps",
        ],
        [{ parentOverrideBps: 20_000 }, "terms.parentOverrideBps"],
        [{ percentOfSale: { bps: 100, events: [], refundWindowDays: 1 } }, "terms.percentOfSale.events"],
        [{ lotRebate: { perLotMinor: 100, groups: { " ": 50 } } }, "terms.lotRebate.groups"],
        [
          {
            cpa: {
              ...CPA,
              tiers: [
                { fromCount: 5, amountMinor: 9000 },
                { fromCount: 3, amountMinor: 9500 },
              ],
            },
          },
          "terms.cpa.tiers.1.fromCount",
        ],
      ];
      for (const [terms, field] of cases)
        expectStatus(await admin("POST", path, { terms }), 400, "invalid_field", field);
      expectStatus(
        await admin("POST", path, { terms: { revshare: { bps: 10_000, negativeCarryOver: false } } }),
        201,
      );
      assert.equal((await admin("GET", path)).body.data.length, before_ + 1);
    });

    test("FX rates: a currency against itself is refused on quote", async () => {
      expectStatus(
        await admin("POST", "/v1/fx-rates", { base: "EUR", quote: "EUR", rate: "1" }),
        400,
        "invalid_field",
        "quote",
      );
      expectStatus(
        await admin("POST", "/v1/fx-rates", { base: "USD", quote: "EUR", rate: "0" }),
        400,
        "invalid_field",
        "rate",
      );
      assert.deepEqual((await admin("GET", "/v1/fx-rates")).body.data, []);
      expectStatus(await admin("POST", "/v1/fx-rates", { base: "USD", quote: "EUR", rate: "0.92" }), 201);
    });
  });
}
