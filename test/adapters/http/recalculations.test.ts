/**
 * Recalculation (docs/commissions.md): conversions received while a program had no plan are
 * credited by one previewed, recorded action, through the real service on both engines. The
 * preview writes nothing and equals what applying writes; applying twice changes nothing; a
 * refund received meanwhile takes back its share; paid months are left alone unless asked; test
 * and unattributed conversions never earn; changes are queued for the affiliate's endpoints. A
 * replan over a paid month (asked for) releases the paid qualification before deciding again; a
 * range with more than MAX_RECALCULATED conversions is refused whole.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MAX_RECALCULATED } from "../../../src/app/commissions/recalculate-commissions.ts";
import { availableEngines } from "../../helpers/engines.ts";
import { conversionRow, insertConversions } from "../../helpers/records.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import { assertTotalsMatchRecount } from "../../helpers/totals.ts";
import { type Receiver, startReceiver } from "../delivery/delivery-kit.ts";
import {
  type Call,
  click,
  client,
  expectStatus,
  type Reply,
  signedQuery,
  txid,
  type World,
  worldVia,
} from "./admin-kit.ts";
import { CPA } from "./commissions-kit.ts";

const RANGE = { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z" };
/** What a written entry is, without its generated id and timestamps. */
const shape = (e: Record<string, unknown>) =>
  `${e["conversion_id"]} ${e["kind"]} ${e["component"]} ${e["amount_minor"]} ${e["currency"]} ${e["status"]}`;

for (const engine of await availableEngines()) {
  describe(`recalculating commissions (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let receiver: Receiver;
    before(async () => {
      t = await startTestService(engine, { DELIVERY_ALLOW: "127.0.0.1" });
      admin = client(t.url, t.adminKey);
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    const planless = async (name: string) =>
      worldVia(admin, `${name}-${Math.random().toString(36).slice(2, 8)}`, {
        name,
        vertical: "igaming",
        currency: "EUR",
        landing_url_template: "https://brand.example/?cid={click_id}",
        commission_plan: "none",
      });
    const postback = async (w: World, pairs: Array<[string, string]>): Promise<Reply> => {
      const query = signedQuery(w.secret, pairs, Math.floor(Date.now() / 1000));
      return client(t.url, undefined)("GET", `/v1/postback/${w.operator.key}?${query}`);
    };
    const ftd = async (w: World, fields: Record<string, string> = {}) => {
      const id = txid();
      const reply = await postback(w, [
        ["event", "ftd"],
        ["txid", id],
        ["click_id", await click(t, w)],
        ["player_id", `p-${id}`],
        ["amount", "50.00"],
        ["currency", "EUR"],
        ...Object.entries(fields),
      ]);
      expectStatus(reply, 200);
      return { id: reply.body.conversion_id as string, txid: id, outcome: reply.body.status as string };
    };
    const entriesOf = async (conversionId: string) =>
      (await admin("GET", `/v1/commissions?conversion_id=${conversionId}`)).body.data as Array<
        Record<string, unknown>
      >;
    const addPlan = async (w: World) =>
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/plans`, {
          terms: { cpa: CPA },
          effective_from: "2000-01-01T00:00:00Z",
        }),
        201,
      );
    const recalculate = (w: World, body: Record<string, unknown>, preview: boolean) =>
      admin("POST", `/v1/programs/${w.program.id}/recalculations${preview ? "/preview" : ""}`, {
        ...RANGE,
        ...body,
      });

    test("preview equals apply; applying twice changes nothing; a refund received meanwhile takes back its share", async () => {
      const w = await planless("Recalc");
      const endpoint = await admin("POST", "/v1/endpoints", {
        affiliate_id: w.affiliate.id,
        url_template: `${receiver.url}/pb?st={status}&p={payout}&r={reason}`,
        method: "GET",
      });
      expectStatus(endpoint, 201);
      const kept = await ftd(w);
      const charged = await ftd(w);
      const chargeback = await postback(w, [
        ["event", "chargeback"],
        ["txid", txid()],
        ["reverses", charged.txid],
      ]);
      expectStatus(chargeback, 200);
      const cb = chargeback.body.conversion_id as string;
      // Earned nothing so far: no plan.
      for (const id of [kept.id, charged.id, cb]) assert.deepEqual(await entriesOf(id), []);

      await addPlan(w);
      const preview = await recalculate(w, {}, true);
      expectStatus(preview, 200);
      assert.equal(preview.body.preview, true);
      assert.equal(preview.body.id, null);
      assert.deepEqual(
        (preview.body.written as Array<Record<string, unknown>>).map(shape).sort(),
        [
          `${kept.id} commission cpa 10000 EUR approved`,
          `${charged.id} commission cpa 10000 EUR approved`,
          `${cb} clawback cpa -10000 EUR approved`,
        ].sort(),
      );
      assert.deepEqual(preview.body.totals, { EUR: { approved: 10000 } });
      assert.equal(preview.body.messages, 3, "one adjusted message per changed conversion");
      // The preview stored nothing.
      for (const id of [kept.id, charged.id, cb]) assert.deepEqual(await entriesOf(id), []);
      assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data, []);
      assert.equal(
        (await t.store.deliveries.list({ conversionId: kept.id })).filter((d) => d.status === "adjusted")
          .length,
        0,
      );

      const applied = await recalculate(w, {}, false);
      expectStatus(applied, 201);
      assert.match(applied.body.id, /^rc/);
      assert.deepEqual(
        (applied.body.written as Array<Record<string, unknown>>).map(shape).sort(),
        (preview.body.written as Array<Record<string, unknown>>).map(shape).sort(),
      );
      assert.deepEqual(
        [applied.body.conversions, applied.body.entries, applied.body.skipped_paid],
        [3, 3, 0],
      );
      const stored = [
        ...(await entriesOf(kept.id)),
        ...(await entriesOf(charged.id)),
        ...(await entriesOf(cb)),
      ];
      assert.deepEqual(
        stored.map(shape).sort(),
        (applied.body.written as Array<Record<string, unknown>>).map(shape).sort(),
      );
      for (const e of stored) {
        assert.equal((e["explain"] as Record<string, unknown>)["recalculation_id"], applied.body.id);
        assert.equal(typeof (e["explain"] as Record<string, unknown>)["plan_id"], "number");
      }
      const adjusted = (await t.store.deliveries.list({ conversionId: kept.id })).filter(
        (d) => d.status === "adjusted",
      );
      assert.equal(adjusted.length, 1);
      assert.equal(adjusted[0]!.payload["payout"], "100.00");
      assert.equal(adjusted[0]!.payload["reason"], "recalculation");

      const again = await recalculate(w, {}, false);
      expectStatus(again, 201);
      assert.deepEqual([again.body.conversions, again.body.entries, again.body.written.length], [0, 0, 0]);
      assert.equal((await entriesOf(kept.id)).length, 1, "nothing doubled");
      const runs = (await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data;
      assert.deepEqual(
        runs.map((r: Record<string, unknown>) => [r["id"], r["entries"], r["created_by_key_id"] !== null]),
        [
          [again.body.id, 0, true],
          [applied.body.id, 3, true],
        ],
      );
    });

    test("a paid month is left alone unless asked; test and unattributed conversions never earn", async () => {
      const w = await planless("Paid");
      const paidFtd = await ftd(w);
      const test = await ftd(w, { test: "1" });
      const unattributed = await postback(w, [
        ["event", "ftd"],
        ["txid", txid()],
        ["player_id", "nobody"],
        ["amount", "50.00"],
        ["currency", "EUR"],
      ]);
      expectStatus(unattributed, 200);
      // The affiliate is paid for this month: it earned on another program of the operator.
      const other = await admin("POST", "/v1/programs", {
        operator_id: w.operator.id,
        name: "Paid elsewhere",
        vertical: "igaming",
        currency: "EUR",
        landing_url_template: "https://brand.example/?cid={click_id}",
        commission_plan: "none",
      });
      expectStatus(other, 201);
      const onOther: World = { ...w, program: other.body };
      await addPlan(onOther);
      const link = await admin("POST", "/v1/links", {
        affiliate_id: w.affiliate.id,
        program_id: other.body.id,
      });
      expectStatus(link, 201);
      const earned = await ftd({ ...onOther, link: link.body });
      assert.equal((await entriesOf(earned.id)).length, 1);
      const period = new Date().toISOString().slice(0, 7);
      const payout = await admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id });
      expectStatus(payout, 201);
      assert.equal(payout.body.data.length, 1);
      await addPlan(w);

      const skipped = await recalculate(w, {}, false);
      expectStatus(skipped, 201);
      assert.deepEqual([skipped.body.entries, skipped.body.skipped_paid], [0, 1]);
      assert.deepEqual(await entriesOf(paidFtd.id), []);

      const asked = await recalculate(w, { include_paid_periods: true }, false);
      expectStatus(asked, 201);
      assert.deepEqual([asked.body.entries, asked.body.skipped_paid], [1, 0]);
      assert.equal((await entriesOf(paidFtd.id)).length, 1);
      assert.deepEqual(await entriesOf(test.id), [], "test events never earn");
      assert.deepEqual(await entriesOf(unattributed.body.conversion_id), [], "unattributed never earns");
    });

    test("replan over a paid month, when asked: the paid entry compensated, its paid qualification released so the count cap lets it earn again", async () => {
      const w = await planless("Paid replan");
      const capped = (amountMinor: number, from: string) =>
        admin("POST", `/v1/programs/${w.program.id}/plans`, {
          terms: { cpa: { ...CPA, amountMinor }, cap: { cpaCount: 1 } },
          effective_from: from,
        });
      expectStatus(await capped(10000, "2000-01-01T00:00:00Z"), 201);
      const first = await ftd(w);
      assert.deepEqual((await entriesOf(first.id)).map(shape), [
        `${first.id} commission cpa 10000 EUR approved`,
      ]);
      const period = new Date().toISOString().slice(0, 7);
      expectStatus(
        await admin("POST", "/v1/commissions/payouts", { period, affiliate_id: w.affiliate.id }),
        201,
      );
      assert.deepEqual(
        (await entriesOf(first.id)).map((e) => e["status"]),
        ["paid"],
      );
      // A backdated version with a higher CPA and the same cap of one paid CPA a month.
      expectStatus(await capped(15000, "2001-01-01T00:00:00Z"), 201);

      const left = await recalculate(w, { mode: "replan" }, false);
      expectStatus(left, 201);
      assert.deepEqual([left.body.replaced, left.body.entries, left.body.skipped_paid], [0, 0, 1]);

      const asked = await recalculate(w, { mode: "replan", include_paid_periods: true }, false);
      expectStatus(asked, 201);
      assert.deepEqual([asked.body.replaced, asked.body.skipped_paid], [1, 0]);
      assert.deepEqual(
        (asked.body.written as Array<Record<string, unknown>>).map(shape).sort(),
        [
          `${first.id} clawback cpa -10000 EUR approved`,
          `${first.id} commission cpa 15000 EUR approved`,
        ].sort(),
        "the released qualification no longer counts toward the cap",
      );
      assert.deepEqual(
        (await entriesOf(first.id)).map((e) => `${e["amount_minor"]} ${e["status"]}`).sort(),
        ["-10000 approved", "10000 paid", "15000 approved"],
        "the paid entry itself is never edited",
      );
      await assertTotalsMatchRecount(t.databaseUrl);
      const again = await recalculate(w, { mode: "replan", include_paid_periods: true }, false);
      assert.deepEqual([again.body.replaced, again.body.entries], [0, 0], "once");
    });

    test("two runs at once credit each conversion once", async () => {
      const w = await planless("Race");
      const sent = [];
      for (let i = 0; i < 6; i++) sent.push(await ftd(w));
      await addPlan(w);
      const runs = await Promise.all([
        recalculate(w, {}, false),
        recalculate(w, {}, false),
        recalculate(w, {}, false),
      ]);
      for (const r of runs) expectStatus(r, 201);
      assert.equal(
        runs.reduce((n, r) => n + (r.body.entries as number), 0),
        6,
        "the runs share the six entries between them",
      );
      for (const s of sent) assert.equal((await entriesOf(s.id)).length, 1, `one entry for ${s.id}`);
    });

    test("replan: conversions decided under another plan version are compensated and decided again, once; a manual adjustment is left alone", async () => {
      const w = await planless("Replan");
      expectStatus(
        await admin("POST", "/v1/endpoints", {
          affiliate_id: w.affiliate.id,
          url_template: `${receiver.url}/pb?st={status}&p={payout}&t={total_payout}`,
          method: "GET",
        }),
        201,
      );
      await addPlan(w); // plan A: CPA 100.00 on a first deposit
      const kept = await ftd(w);
      const refunded = await ftd(w);
      const refund = await postback(w, [
        ["event", "refund"],
        ["txid", txid()],
        ["reverses", refunded.txid],
        ["amount", "10.00"],
        ["currency", "EUR"],
      ]);
      expectStatus(refund, 200);
      const refundId = refund.body.conversion_id as string;
      const rejected = await ftd(w);
      expectStatus(
        await admin("POST", `/v1/conversions/${rejected.id}/adjustments`, {
          action: "reject",
          reason_code: "fraud",
        }),
        201,
      );
      assert.deepEqual((await entriesOf(refundId)).map(shape), [
        `${refundId} clawback cpa -2000 EUR approved`,
      ]);

      // Plan B, backdated: it was in force when they arrived. Decisions under A are now wrong.
      const planB = await admin("POST", `/v1/programs/${w.program.id}/plans`, {
        terms: { cpa: { ...CPA, amountMinor: 15000 } },
        effective_from: "2001-01-01T00:00:00Z",
      });
      expectStatus(planB, 201);
      const unearnedOnly = await recalculate(w, {}, true);
      assert.deepEqual(
        [unearnedOnly.body.entries, unearnedOnly.body.replaced],
        [0, 0],
        "the default mode leaves them",
      );

      const preview = await recalculate(w, { mode: "replan" }, true);
      expectStatus(preview, 200);
      const expected = [
        `${kept.id} clawback cpa -10000 EUR approved`,
        `${kept.id} commission cpa 15000 EUR approved`,
        `${refunded.id} clawback cpa -8000 EUR approved`,
        `${refunded.id} commission cpa 15000 EUR approved`,
        `${refundId} clawback cpa -3000 EUR approved`,
      ].sort();
      assert.deepEqual((preview.body.written as Array<Record<string, unknown>>).map(shape).sort(), expected);
      assert.deepEqual([preview.body.replaced, preview.body.mode, preview.body.messages], [2, "replan", 3]);
      assert.deepEqual(preview.body.totals, { EUR: { approved: 15000 - 10000 + 15000 - 8000 - 3000 } });
      assert.equal((await entriesOf(kept.id)).length, 1, "the preview stored nothing");

      const applied = await recalculate(w, { mode: "replan" }, false);
      expectStatus(applied, 201);
      assert.deepEqual((applied.body.written as Array<Record<string, unknown>>).map(shape).sort(), expected);
      const compensation = (await entriesOf(kept.id)).find((e) => e["kind"] === "clawback")!;
      const explain = compensation["explain"] as Record<string, unknown>;
      assert.equal(explain["rule"], "recalculation:replaced");
      assert.equal(explain["recalculation_id"], applied.body.id);
      assert.notEqual(explain["plan_id"], planB.body.id, "names the version it takes back");
      const fresh = (await entriesOf(kept.id)).find(
        (e) => e["kind"] === "commission" && e["amount_minor"] === 15000,
      )!;
      assert.equal((fresh["explain"] as Record<string, unknown>)["plan_id"], planB.body.id);
      // What each conversion now pays: B's CPA, less the refund's share of it.
      const net = async (id: string) =>
        (await entriesOf(id)).reduce((sum, e) => sum + (e["amount_minor"] as number), 0);
      assert.deepEqual(
        [await net(kept.id), (await net(refunded.id)) + (await net(refundId))],
        [15000, 12000],
      );
      assert.deepEqual(
        (await entriesOf(rejected.id)).map((e) => e["kind"]).sort(),
        ["adjustment", "commission"],
        "a manager's reject is never recalculated",
      );
      const adjusted = (await t.store.deliveries.list({ conversionId: kept.id })).filter(
        (d) => d.status === "adjusted",
      );
      assert.deepEqual(
        adjusted.map((d) => [d.payload["payout"], d.payload["total_payout"]]),
        [["50.00", "150.00"]],
      );
      await assertTotalsMatchRecount(t.databaseUrl);

      const again = await recalculate(w, { mode: "replan" }, false);
      expectStatus(again, 201);
      assert.deepEqual([again.body.entries, again.body.replaced, again.body.messages], [0, 0, 0], "once");
      const runs = (await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data;
      assert.deepEqual(
        runs.map((r: Record<string, unknown>) => [r["mode"], r["replaced"], r["entries"]]),
        [
          ["replan", 0, 0],
          ["replan", 2, 5],
        ],
      );
    });

    test("replan where revshare months are floored at 0: the floor moves with the compensations, totals stay exact", async () => {
      const w = await planless("Floors");
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/plans`, {
          terms: { revshare: { bps: 2500, negativeCarryOver: false } },
          effective_from: "2000-01-01T00:00:00Z",
        }),
        201,
      );
      const player = `p-${txid()}`;
      const cid = await click(t, w);
      const revenue = async (amount: string) => {
        const reply = await postback(w, [
          ["event", "revenue"],
          ["txid", txid()],
          ["click_id", cid],
          ["player_id", player],
          ["amount", amount],
          ["currency", "EUR"],
        ]);
        expectStatus(reply, 200);
        return reply.body.conversion_id as string;
      };
      const ids = [await revenue("100.00"), await revenue("-300.00")];
      const monthNet = async () => {
        let sum = 0;
        for (const id of ids) for (const e of await entriesOf(id)) sum += e["amount_minor"] as number;
        return sum;
      };
      assert.equal(await monthNet(), 0, "floored at 0 under the first version");
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/plans`, {
          terms: { revshare: { bps: 4000, negativeCarryOver: false } },
          effective_from: "2001-01-01T00:00:00Z",
        }),
        201,
      );
      const applied = await recalculate(w, { mode: "replan" }, false);
      expectStatus(applied, 201);
      assert.equal(applied.body.replaced, 2);
      assert.equal(await monthNet(), 0, "still floored at 0: 40 % of 100 − 300 is negative");
      await assertTotalsMatchRecount(t.databaseUrl);
      // Revenue that lifts the month above 0 earns by the new rate from the month's true net.
      await revenue("500.00");
      ids.push((await admin("GET", `/v1/conversions?program_id=${w.program.id}&limit=1`)).body.data[0].id);
      assert.equal(await monthNet(), (10000 - 30000 + 50000) * 0.4);
      await assertTotalsMatchRecount(t.databaseUrl);
    });

    test("two replans at once replace each decision once", async () => {
      const w = await planless("Replan race");
      await addPlan(w);
      const sent = [];
      for (let i = 0; i < 5; i++) sent.push(await ftd(w));
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/plans`, {
          terms: { cpa: { ...CPA, amountMinor: 12000 } },
          effective_from: "2001-01-01T00:00:00Z",
        }),
        201,
      );
      const runs = await Promise.all([1, 2, 3].map(() => recalculate(w, { mode: "replan" }, false)));
      for (const r of runs) expectStatus(r, 201);
      assert.equal(
        runs.reduce((n, r) => n + (r.body.replaced as number), 0),
        5,
      );
      for (const s of sent)
        assert.deepEqual(
          (await entriesOf(s.id)).map((e) => e["amount_minor"]).sort(),
          [-10000, 10000, 12000],
          `replaced once: ${s.id}`,
        );
      await assertTotalsMatchRecount(t.databaseUrl);
    });

    test(`more than ${MAX_RECALCULATED} conversions in the range: refused on the \`to\` field, nothing written or recorded`, async () => {
      const w = await planless("Too many");
      const occurredAt = Date.parse("2026-11-10T12:00:00Z");
      const rows = Array.from({ length: MAX_RECALCULATED + 1 }, (_, i) =>
        conversionRow({
          operatorId: w.operator.id,
          affiliateId: w.affiliate.id,
          programId: w.program.id,
          linkId: w.link.id,
          clickId: null,
          playerId: `p-${i}`,
          occurredAt: occurredAt + i,
        }),
      );
      for (let i = 0; i < rows.length; i += 5000)
        await t.store.ingest((tx) => insertConversions(tx, rows.slice(i, i + 5000)));
      await addPlan(w);
      for (const preview of [true, false]) {
        const refused = await recalculate(w, {}, preview);
        expectStatus(refused, 400, "invalid_field");
        assert.equal(refused.body.field, "to");
        assert.match(refused.body.message, new RegExp(`More than ${MAX_RECALCULATED} conversions`));
      }
      assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data, []);
      assert.deepEqual(await entriesOf(rows[0]!.id), []);
      // One fewer fits: the last conversion is outside this range.
      const fits = await recalculate(
        w,
        { from: RANGE.from, to: new Date(occurredAt + MAX_RECALCULATED).toISOString() },
        true,
      );
      expectStatus(fits, 200);
      assert.equal(fits.body.conversions, MAX_RECALCULATED);
    });

    test("admin only, an existing program, and a range that makes sense", async () => {
      const w = await planless("Scope");
      const operatorKey = await t.key("operator", { operatorId: w.operator.id });
      expectStatus(
        await client(t.url, operatorKey)(
          "POST",
          `/v1/programs/${w.program.id}/recalculations/preview`,
          RANGE,
        ),
        403,
        "forbidden",
      );
      expectStatus(
        await admin("POST", "/v1/programs/999999/recalculations/preview", RANGE),
        404,
        "not_found",
      );
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/recalculations`, {
          from: RANGE.to,
          to: RANGE.from,
        }),
        400,
        "invalid_field",
      );
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/recalculations`, { from: "soon", to: RANGE.to }),
        400,
      );
      // A mode outside the closed set is refused before anything runs (applied: nothing recorded below).
      expectStatus(
        await admin("POST", `/v1/programs/${w.program.id}/recalculations`, { ...RANGE, mode: "everything" }),
        400,
        "validation_failed",
        "mode",
      );
      assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data, []);
    });
  });
}
