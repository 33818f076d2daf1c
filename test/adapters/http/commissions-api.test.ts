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
  txid,
  type World,
} from "./admin-kit.ts";

const TERMS = {
  cpa: { amountMinor: 10000, qualification: { kind: "ftd", minDepositMinor: 2000 }, clawbackDays: 30 },
  revshare: { bps: 2500, negativeCarryOver: true },
  holdDays: 0,
};

for (const engine of await availableEngines()) {
  describe(`commissions through the postback endpoint (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      world = await createWorld(t);
      expectStatus(
        await admin("POST", `/v1/programs/${world.program.id}/plans`, {
          terms: TERMS,
          effective_from: "2000-01-01T00:00:00Z",
        }),
        201,
      );
    });
    after(() => t.close());

    const send = async (pairs: Array<[string, string]>) =>
      postback(t.url, world.operator.key, signedQuery(world.secret, pairs));
    const entriesOf = async (conversionId: string) =>
      (await admin("GET", `/v1/commissions?conversion_id=${conversionId}`)).body.data;

    test("an FTD earns the CPA in the same transaction; a replay changes nothing; a refund claws back", async () => {
      const cid = await click(t, world);
      const pairs: Array<[string, string]> = [
        ["event", "ftd"],
        ["txid", txid()],
        ["click_id", cid],
        ["player_id", "p1"],
        ["amount", "50.00"],
        ["currency", "EUR"],
      ];
      const first = await send(pairs);
      expectStatus(first, 200, "accepted");
      const entries = await entriesOf(first.body.conversion_id);
      assert.deepEqual(
        entries.map((e: { amount_minor: number; status: string }) => [e.amount_minor, e.status]),
        [[10000, "approved"]],
      );
      assert.match(entries[0].explanation, /CPA/);
      expectStatus(await send(pairs), 200, "duplicate");
      assert.equal((await entriesOf(first.body.conversion_id)).length, 1);
      // Second qualifying event for the same player: no second CPA.
      const again = await send([
        ["event", "ftd"],
        ["txid", txid()],
        ["player_id", "p1"],
        ["amount", "60.00"],
        ["currency", "EUR"],
      ]);
      assert.equal((await entriesOf(again.body.conversion_id)).length, 0);
      const refund = await send([
        ["event", "refund"],
        ["txid", txid()],
        ["reverses", pairs[1]![1]],
        ["amount", "25.00"],
        ["currency", "EUR"],
      ]);
      expectStatus(refund, 200, "accepted");
      assert.deepEqual(
        (await entriesOf(refund.body.conversion_id)).map((e: { amount_minor: number }) => e.amount_minor),
        [-5000],
      );
      const all = (await admin("GET", `/v1/commissions?affiliate_id=${world.affiliate.id}`)).body.data;
      const sum = all.reduce((s: number, e: { amount_minor: number }) => s + e.amount_minor, 0);
      const balances = (await admin("GET", `/v1/commissions/balances?affiliate_id=${world.affiliate.id}`))
        .body.data;
      assert.equal(balances[0].approved_minor, sum, "balance = sum of entries");
    });

    test("test-mode conversions write no money; concurrent qualifying events pay one CPA", async () => {
      const cid = await click(t, world);
      const test1 = await send([
        ["event", "ftd"],
        ["txid", txid()],
        ["click_id", cid],
        ["player_id", "pt"],
        ["amount", "50.00"],
        ["currency", "EUR"],
        ["test", "1"],
      ]);
      expectStatus(test1, 200, "accepted");
      assert.equal((await entriesOf(test1.body.conversion_id)).length, 0);
      const bind = await send([
        ["event", "registration"],
        ["txid", txid()],
        ["click_id", cid],
        ["player_id", "race"],
      ]);
      expectStatus(bind, 200, "accepted");
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          send([
            ["event", "ftd"],
            ["txid", txid()],
            ["player_id", "race"],
            ["amount", "50.00"],
            ["currency", "EUR"],
          ]),
        ),
      );
      let cpas = 0;
      for (const a of answers) {
        expectStatus(a, 200, "accepted");
        cpas += (await entriesOf(a.body.conversion_id)).filter(
          (e: { component: string }) => e.component === "cpa",
        ).length;
      }
      assert.equal(cpas, 1);
    });

    test("an affiliate key sees only its own entries; CSV export; mark period paid", async () => {
      const other = await createWorld(t, "Other");
      const key = await t.key("affiliate", { affiliateId: other.affiliate.id });
      const mine = client(t.url, key);
      assert.equal((await mine("GET", "/v1/commissions")).body.data.length, 0);
      expectStatus(await mine("GET", `/v1/commissions?affiliate_id=${world.affiliate.id}`), 403, "forbidden");
      const csv = await admin("GET", `/v1/commissions.csv?affiliate_id=${world.affiliate.id}`);
      assert.equal(csv.status, 200);
      assert.match(csv.text, /^id,conversion_id,/);
      const period = new Date().toISOString().slice(0, 7);
      const paid = await admin("POST", "/v1/commissions/payouts", {
        period,
        affiliate_id: world.affiliate.id,
      });
      expectStatus(paid, 201);
      assert.equal(paid.body.data.length, 1);
      const balances = (await admin("GET", `/v1/commissions/balances?affiliate_id=${world.affiliate.id}`))
        .body.data;
      assert.equal(balances[0].approved_minor, 0);
      assert.equal(balances[0].paid_minor, paid.body.data[0].amount_minor);
    });

    test("ledger filters refuse an id no entry can have before it reaches storage", async () => {
      for (const path of ["/v1/commissions", "/v1/commissions.csv", "/v1/commissions/balances"]) {
        for (const query of [`conversion_id=${"c".repeat(65)}`, `cursor=${"e".repeat(201)}`, "cursor="]) {
          expectStatus(await admin("GET", `${path}?${query}`), 400, "validation_failed");
        }
      }
    });
  });
}
