/**
 * GET /v1/stats/overview, /v1/stats/programs/{id} and /v1/reports (JSON and CSV) on every engine:
 * figures from seeded traffic, worst program first, periods of a +05:30 time zone, and role
 * scoping (another operator's program and another affiliate's report answer 404).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { client, expectStatus, type World } from "./admin-kit.ts";
import {
  addPlan,
  type Bench,
  CPA,
  clickOf,
  ev,
  send,
  sendRaw,
  startBench,
  worldOf,
} from "./commissions-kit.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON rows read loosely by the assertions
type OverviewRow = Record<string, any>;

for (const engine of await availableEngines()) {
  describe(`stats and reports API (${engine})`, () => {
    let b: Bench;
    let good: World;
    let bad: World;
    before(async () => {
      b = await startBench(engine);
      good = await worldOf(b, "igaming");
      bad = await worldOf(b, "igaming");
      await addPlan(b, good, { cpa: CPA, holdDays: 7 });
      // good: 3 accepted ftds, one duplicate; bad: 1 accepted, 2 refused (unknown event type).
      for (let i = 0; i < 3; i++) {
        const pairs = ev("ftd", {
          click_id: await clickOf(b, good),
          player_id: `g${i}`,
          amount: "50.00",
          currency: "EUR",
          occurred_at: "2026-03-10T18:40:00Z", // 00:10 on 11 March in Asia/Kolkata
        });
        await send(b, good, pairs);
        if (i === 0) await send(b, good, pairs, "duplicate");
      }
      await send(b, bad, ev("registration", { click_id: await clickOf(b, bad) }));
      for (let i = 0; i < 2; i++) expectStatus(await sendRaw(b, bad, ev("bogus", { player_id: "x" })), 400);
    });
    after(() => b?.close());

    test("overview: worst program first, with its counts", async () => {
      const reply = await b.admin("GET", "/v1/stats/overview");
      expectStatus(reply, 200);
      const rows = reply.body.data as OverviewRow[];
      const mine = rows.filter((r) => [good.operator.id, bad.operator.id].includes(r["operator"].id));
      assert.equal(mine.length, 2);
      // bad's refusals named an event no program of it takes; its only program is theirs (the
      // request log's program), so bad's row comes first (rejection rate 2 of 3).
      const badRow = mine[0];
      const goodRow = mine.find((r) => r["program"]?.id === good.program.id);
      assert.equal(badRow!["program"].id, bad.program.id);
      assert.equal(goodRow!["last_24h"].accepted, 3);
      assert.equal(goodRow!["last_24h"].duplicate, 1);
      assert.equal(goodRow!["last_24h"].rejected, 0);
      assert.equal(goodRow!["silent"], false);
      assert.ok(goodRow!["last_24h"].latency_p99_us > 0);
      assert.equal(badRow!["last_24h"].accepted, 1);
      assert.equal(badRow!["last_24h"].rejected, 2);
      assert.ok(Math.abs(badRow!["last_24h"].rejection_rate - 2 / 3) < 1e-9);
    });

    test("program stats: hours, rejected by code; another operator's program is 404", async () => {
      const reply = await b.admin("GET", `/v1/stats/programs/${bad.program.id}`);
      expectStatus(reply, 200);
      assert.equal(reply.body.hours.length, 7 * 24);
      assert.equal(reply.body.totals.accepted, 1);
      assert.deepEqual(reply.body.rejected_by_code, [{ code: "unknown_event_type", count: 2, previous: 0 }]);
      assert.deepEqual(reply.body.operator_rejected_by_code, [], "none without a known program");
      const operatorKey = await b.key("operator", { operatorId: good.operator.id });
      const asGood = client(b.url, operatorKey);
      expectStatus(await asGood("GET", `/v1/stats/programs/${bad.program.id}`), 404, "not_found");
      expectStatus(await asGood("GET", `/v1/stats/programs/${good.program.id}`), 200);
      const overview = await asGood("GET", "/v1/stats/overview");
      assert.deepEqual(
        [...new Set(overview.body.data.map((r: { operator: { id: number } }) => r.operator.id))],
        [good.operator.id],
        "an operator key sees its own operator only",
      );
      expectStatus(
        await b.admin(
          "GET",
          `/v1/stats/programs/${bad.program.id}?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z`,
        ),
        400,
        "invalid_field",
      );
    });

    test("reports: by local day in Asia/Kolkata, JSON and CSV, scoped to the affiliate", async () => {
      // An event type other than the three named ones gets a column of its own.
      await send(
        b,
        good,
        ev("registration", { click_id: await clickOf(b, good), occurred_at: "2026-03-10T18:41:00Z" }),
      );
      const query = `from=2026-03-01&to=2026-03-31&group_by=day&time_zone=Asia/Kolkata&program_id=${good.program.id}`;
      const reply = await b.admin("GET", `/v1/reports?${query}`);
      expectStatus(reply, 200);
      const rows = reply.body.data.filter((r: { conversions: number }) => r.conversions > 0);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].period, "2026-03-11", "18:40 UTC is the next day at +05:30");
      assert.equal(rows[0].first_deposits, 3);
      assert.deepEqual(rows[0].amounts, [{ currency: "EUR", amount: "150.00", amount_minor: 15000 }]);
      assert.equal(rows[0].commissions[0].pending, "300.00");
      const utc = await b.admin("GET", `/v1/reports?${query.replace("Asia/Kolkata", "UTC")}`);
      assert.equal(
        utc.body.data.find((r: { conversions: number }) => r.conversions > 0).period,
        "2026-03-10",
      );

      const csv = await fetch(`${b.url}/v1/reports?${query}`, {
        headers: {
          authorization: `Bearer ${await b.key("affiliate", { affiliateId: good.affiliate.id })}`,
          accept: "text/csv",
        },
      });
      assert.equal(csv.status, 200);
      assert.match(
        csv.headers.get("content-disposition")!,
        /attachment; filename="report-2026-03-01-2026-03-31-day-Asia_Kolkata.csv"/,
      );
      const lines = (await csv.text()).trimEnd().split("\r\n");
      assert.match(
        lines[0]!,
        /^Period,Affiliate ID,Affiliate,Program ID,Program,Clicks,Conversions,First deposits,Qualified traders,Challenge purchases,Events: registration,Currency,/,
      );
      assert.ok(
        lines.some(
          (l) =>
            l.startsWith(`2026-03-11,${good.affiliate.id},`) &&
            l.endsWith(",4,3,0,0,1,EUR,150.00,300.00,0.00,0.00,0.00"),
        ),
      );

      const affiliate = client(b.url, await b.key("affiliate", { affiliateId: bad.affiliate.id }));
      expectStatus(
        await affiliate("GET", `/v1/reports?${query}&affiliate_id=${good.affiliate.id}`),
        404,
        "not_found",
      );
      const own = await affiliate("GET", "/v1/reports?from=2026-01-01&to=2026-12-31&group_by=month");
      expectStatus(own, 200);
      // Its own rows (its registration), and nobody else's.
      const seen = new Set(own.body.data.map((r: { affiliate: { id: number } }) => r.affiliate.id));
      assert.deepEqual([...seen], [bad.affiliate.id]);
      expectStatus(await affiliate("GET", "/v1/stats/overview"), 403, "forbidden");
    });
  });
}
