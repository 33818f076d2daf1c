/**
 * Recalculation (docs/commissions.md): conversions received while a program had no plan are
 * credited by one previewed, recorded action, through the real service on both engines. The
 * preview writes nothing and equals what applying writes; applying twice changes nothing; a
 * refund received meanwhile takes back its share; paid months are left alone unless asked; test
 * and unattributed conversions never earn; changes are queued for the affiliate's endpoints.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
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
      assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data, []);
    });
  });
}
