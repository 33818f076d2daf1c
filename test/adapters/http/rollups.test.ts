/**
 * The rollups (012_rollups.sql, ledger-writes.ts) after a mixed load through the real HTTP service,
 * on every engine: accepted, duplicates, each kind of rejection, unattributed, test events,
 * reversals, clicks, commission approval, reversal and payout. Each rollup must equal a recount of
 * the raw rows; pruning the request log and clicks (retention) must leave them as they were.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../../src/adapters/storage/open-driver.ts";
import { openStore } from "../../../src/adapters/storage/open-store.ts";
import { ROLLUP_RECOUNT, rebuildRollups } from "../../../src/adapters/storage/rollups.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { eventually } from "../../helpers/eventually.ts";
import { lines, STORED_ROLLUPS } from "../../helpers/rollup-sums.ts";
import { assertTotalsMatchRecount } from "../../helpers/totals.ts";
import { expectStatus, postback, signedQuery, type World } from "./admin-kit.ts";
import {
  addPlan,
  type Bench,
  CPA,
  clickOf,
  DAY,
  ev,
  send,
  sendRaw,
  startBench,
  worldOf,
} from "./commissions-kit.ts";

async function rollups(databaseUrl: string) {
  const db = openDriver(databaseUrl);
  try {
    const read = async (stored: string, recount: string) => ({
      // A count that went back to 0 (a delivery moving class) stays as a row: the same as none.
      stored: lines((await db.all(stored)).filter((r) => Number(r["count"]) !== 0)),
      recounted: lines(await db.all(recount)),
    });
    return {
      postbacks: await read(STORED_ROLLUPS.postbacks, ROLLUP_RECOUNT.postbacks),
      activity: await read(STORED_ROLLUPS.activity, ROLLUP_RECOUNT.activity),
      deliveries: await read("SELECT * FROM delivery_rollup", ROLLUP_RECOUNT.deliveries),
      commissions: lines(await db.all("SELECT * FROM report_commissions")),
    };
  } finally {
    await db.close();
  }
}

for (const engine of await availableEngines()) {
  describe(`rollups after a mixed load (${engine})`, () => {
    let b: Bench;
    let w: World;
    let other: World;
    before(async () => {
      b = await startBench(engine, { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" });
      w = await worldOf(b, "igaming");
      other = await worldOf(b, "igaming", "USD");
      await addPlan(b, w, { cpa: CPA, holdDays: 7 });
      await addPlan(b, other, { cpa: { ...CPA, amountMinor: 5000 }, holdDays: 0 });
      // Outbound postbacks of w's conversions, to a port nothing listens on: they fail and wait.
      const endpoint = await b.admin("POST", "/v1/endpoints", {
        affiliate_id: w.affiliate.id,
        url_template: "http://127.0.0.1:9/pb?id={delivery_id}",
        method: "GET",
      });
      expectStatus(endpoint, 201);
      endpointId = endpoint.body.id;
    });
    let endpointId: number;
    after(() => b?.close());

    const ftd = async (world: World, extra: Record<string, string> = {}) =>
      send(
        b,
        world,
        ev("ftd", {
          click_id: await clickOf(b, world),
          player_id: `p${Math.random()}`,
          amount: "50.00",
          currency: world === other ? "USD" : "EUR",
          ...extra,
        }),
      );

    test("every rollup equals a recount of the raw rows, and survives pruning", async () => {
      // Clicks with no conversion, accepted events, and a repeat of each (duplicates).
      for (let i = 0; i < 3; i++) await clickOf(b, w);
      const kept = await ftd(w);
      const clawed = await ftd(w);
      await ftd(other);
      const repeat = ev("registration", { click_id: await clickOf(b, w) });
      await send(b, w, repeat);
      await send(b, w, repeat, "duplicate");
      await send(b, w, repeat, "duplicate");
      // Rejections: txid conflict, unknown event type, missing field, reverses not found, a bad
      // signature, an unknown operator.
      const conflict = repeat.map(([k, v]) =>
        k === "click_id" ? ([k, "nope"] as [string, string]) : [k, v],
      );
      expectStatus(await sendRaw(b, w, conflict as Array<[string, string]>), 409);
      expectStatus(await sendRaw(b, w, ev("no_such_event", { player_id: "x" })), 400);
      expectStatus(await sendRaw(b, w, ev("ftd", { player_id: "x" })), 400);
      expectStatus(await sendRaw(b, w, ev("refund", { reverses: "never-sent" })), 400, "reverses_not_found");
      const forged = signedQuery(
        `whsec_${Buffer.alloc(24, 7).toString("base64")}`,
        ev("registration", { player_id: "y" }),
      );
      expectStatus(await postback(b.url, w.operator.key, forged), 401);
      expectStatus(await postback(b.url, "no-such-operator", forged), 404);
      // Unattributed (an unknown player, a click id that does not verify) and test events.
      await send(b, w, ev("registration", { player_id: "stranger" }));
      await send(b, w, ev("deposit", { player_id: "stranger", amount: "10.00", currency: "EUR" }));
      await send(b, w, ev("registration", { click_id: await clickOf(b, w), test: "1" }));
      // A reversal, then the hold ends (approved, and reversed for the clawed one), then a payout.
      const txOf = async (id: string) => (await b.admin("GET", `/v1/conversions/${id}`)).body.txid as string;
      await send(b, w, ev("chargeback", { reverses: await txOf(clawed) }));
      b.advance(8 * DAY);
      expectStatus(await b.admin("POST", "/v1/commissions/approve-due"), 200);
      const period = new Date(b.now() - 8 * DAY).toISOString().slice(0, 7);
      const paid = await b.admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id });
      expectStatus(paid, 201);
      assert.ok(kept);
      // The dispatcher has tried (and failed) a delivery; then the endpoint is disabled (its
      // deliveries paused), so nothing changes between reading the rollups and recounting.
      await eventually(
        async () =>
          (await b.admin("GET", "/v1/deliveries?limit=100")).body.data.some(
            (d: { last_error: string | null }) => d.last_error !== null,
          ),
        { what: "a failed delivery attempt" },
      );
      expectStatus(await b.admin("PATCH", `/v1/endpoints/${endpointId}`, { status: "disabled" }), 200);
      const { databaseUrl } = b;

      const before = await rollups(databaseUrl);
      assert.deepEqual(before.postbacks.stored, before.postbacks.recounted, "postback_rollup = recount");
      assert.deepEqual(before.activity.stored, before.activity.recounted, "report_activity = recount");
      assert.deepEqual(before.deliveries.stored, before.deliveries.recounted, "delivery_rollup = recount");
      await assertTotalsMatchRecount(databaseUrl);
      // Every outcome and every status is there, so the comparisons above compared something.
      const text = before.postbacks.stored.join("\n");
      for (const outcome of ["accepted", "unattributed", "test", "duplicate", "rejected"])
        assert.match(text, new RegExp(`outcome=${outcome} `), outcome);
      for (const code of ["txid_conflict", "unknown_event_type", "missing_field", "reverses_not_found"])
        assert.match(text, new RegExp(`code=${code} `), code);
      assert.match(text, /operator_id=0 .*program_id=0/, "an unknown operator is counted under 0");
      const commissions = before.commissions.join("\n");
      // (A fully clawed-back commission and its clawback are reversed together: they net to 0.)
      for (const status of ["approved", "paid"])
        assert.match(commissions, new RegExp(`status=${status}`), status);
      assert.match(before.activity.stored.join("\n"), /event=click/);
      assert.match(before.deliveries.stored.join("\n"), /class=failing/, "a failed delivery was counted");

      // Rebuilding them from the raw rows (seeding) gives the same rollups.
      const driver = openDriver(databaseUrl);
      await rebuildRollups(driver);
      await driver.close();
      const rebuilt = await rollups(databaseUrl);
      assert.deepEqual(rebuilt.postbacks.stored, before.postbacks.stored);
      assert.deepEqual(rebuilt.activity.stored, before.activity.stored);
      assert.deepEqual(rebuilt.deliveries.stored, before.deliveries.stored);

      const pruner = openStore(databaseUrl);
      const removed = await pruner.prune({ requestLog: b.now() + DAY, clicks: b.now() + DAY });
      await pruner.close();
      assert.ok(removed.requestLog > 10 && removed.clicks > 5, "the raw rows were pruned");
      const pruned = await rollups(databaseUrl);
      assert.deepEqual(pruned.postbacks.stored, before.postbacks.stored, "postback_rollup survives pruning");
      assert.deepEqual(pruned.activity.stored, before.activity.stored, "report_activity survives pruning");
      assert.deepEqual(pruned.commissions, before.commissions);
      assert.equal(pruned.postbacks.recounted.length, 0, "nothing left to recount from");
    });
  });
}
