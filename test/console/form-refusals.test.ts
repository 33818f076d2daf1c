/**
 * The console's refused forms over real HTTP on loopback (the pages are server-rendered: a browser
 * adds nothing to what is checked here), each with a valid session and CSRF token, so only the
 * refusal itself stops them: the recalculation form's refusal next to its field; a backfill with
 * nothing ticked; a parent id that is not a number; another affiliate's or an operator's session
 * replaying a delivery; a role, vertical or status outside its closed set; a deal's affiliate id
 * that is not a record id (both engines: PostgreSQL once answered 500 to "1.5"); an endpoint over
 * the use case's limits. Each answers a
 * clear error and changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
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
} from "../adapters/http/admin-kit.ts";
import { type ConsoleClient, consoleSession } from "../helpers/console-http.ts";
import { availableEngines } from "../helpers/engines.ts";
import { ftdOf } from "../helpers/event-pairs.ts";
import { startTestService, type TestService } from "../helpers/service.ts";
import { until } from "../helpers/until.ts";

describe("refused console forms (HTTP, sqlite)", () => {
  let t: TestService;
  let admin: Call;
  let adminConsole: ConsoleClient;
  let receiver: Receiver;
  let w: World;

  before(async () => {
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" });
    admin = client(t.url, t.adminKey);
    adminConsole = await consoleSession(t.url, t.adminKey);
    receiver = await startReceiver();
    w = await createWorld(t, "Refusals");
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  test("recalculation: a refusal is shown next to its field and nothing is recorded", async () => {
    const path = `/setup/programs/${w.program.id}/recalculate`;
    for (const [form, fieldName, message] of [
      [{ from: "2026-12-01T00:00:00Z", to: "2026-11-01T00:00:00Z" }, "to", "must be before"],
      [{ from: "soon", to: "2026-11-01T00:00:00Z" }, "from", "from"],
    ] as const) {
      const refused = await adminConsole.post(path, { ...form, action: "apply" });
      assert.equal(refused.status, 400, fieldName);
      assert.match(
        refused.html,
        new RegExp(`id="recalculation-${fieldName}" name="${fieldName}" aria-invalid="true"`),
      );
      const error = new RegExp(`<p class="error" id="recalculation-${fieldName}-error">([^<]*)</p>`).exec(
        refused.html,
      );
      assert.ok(error, `the error next to ${fieldName}`);
      assert.match(error[1]!, new RegExp(message));
      assert.match(refused.html, new RegExp(`value="${form.from}"`), "the values are kept");
    }
    assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}/recalculations`)).body.data, []);
  });

  test("backfill with nothing ticked: a clear error, nothing ingested", async () => {
    const cid = await click(t, w);
    const missing = txid();
    const csv = [
      "event,txid,click_id,player_id,amount,currency,occurred_at",
      ftdOf(cid)(missing, "40.00", "p-missing", "2026-11-02T09:30:00Z")
        .map(([, v]) => v)
        .join(","),
      "",
    ].join("\r\n");
    const uploaded = await fetch(
      `${t.url}/v1/reconciliations?${new URLSearchParams({
        operator_id: String(w.operator.id),
        from: "2026-11-01T00:00:00Z",
        to: "2026-11-03T00:00:00Z",
      })}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "text/csv" },
        body: csv,
      },
    );
    assert.equal(uploaded.status, 201);
    const run = (await uploaded.json()) as { id: string; counts: { missing: number } };
    assert.equal(run.counts.missing, 1);

    const forms: Array<Record<string, string | string[]>> = [
      { confirm: "1" },
      { confirm: "1", txid: [""] },
      {},
    ];
    for (const form of forms) {
      const refused = await adminConsole.post(`/reconciliations/${run.id}/backfill`, form);
      assert.equal(refused.status, 400, JSON.stringify(form));
      assert.match(refused.html, /<code>missing_field<\/code>/);
      assert.match(refused.html, /Tick the rows to backfill, or backfill all of them\./);
    }
    assert.deepEqual((await admin("GET", `/v1/reconciliations/${run.id}/backfills`)).body.data, []);
    const log = await admin("GET", `/v1/request-log?operator_id=${w.operator.id}&txid=${missing}`);
    assert.deepEqual(log.body.data, [], "nothing ingested");
  });

  test("a parent id that is not a number: a clear 400 next to the field, the parent unchanged", async () => {
    const parent = await admin("POST", "/v1/affiliates", { name: "Parent partner" });
    expectStatus(parent, 201);
    const path = `/setup/affiliates/${w.affiliate.id}/parent`;
    const set = await adminConsole.post(path, { parent_id: String(parent.body.id) });
    assert.equal(set.status, 303);
    assert.equal(await t.store.commissions.parentOf(w.affiliate.id), parent.body.id);

    for (const chosen of ["abc", "1e3", "-4", "0x10"]) {
      const refused = await adminConsole.post(path, { parent_id: chosen });
      assert.equal(refused.status, 400, chosen);
      assert.match(refused.html, /id="parent-parent_id-error">Choose an affiliate or no parent\.<\/p>/);
      assert.equal(await t.store.commissions.parentOf(w.affiliate.id), parent.body.id, chosen);
    }
  });

  test("a choice outside its closed set or a chosen id that is not one: refused, nothing stored", async () => {
    const counts = async () =>
      Promise.all(
        ["/v1/api-keys", "/v1/programs"].map(async (path) => (await admin("GET", path)).body.data.length),
      );
    const before = await counts();
    const affiliate = (await admin("GET", `/v1/affiliates/${w.affiliate.id}`)).body;
    const program = (await admin("GET", `/v1/programs/${w.program.id}`)).body;
    for (const [path, form, message] of [
      ["/setup/api-keys", { name: "Root key", role: "root" }, "Choose a role."],
      [
        "/setup/programs",
        { operator_id: String(w.operator.id), name: "P", vertical: "bingo" },
        "Choose a vertical.",
      ],
      [`/setup/affiliates/${w.affiliate.id}`, { name: "Renamed", status: "gone" }, "Choose a status."],
      [
        `/setup/programs/${w.program.id}`,
        { name: "Renamed", status: "gone", landing_url_template: "https://x.example/", lookback_days: "30" },
        "status must be one of: active, disabled.",
      ],
      ...["0x1", "1e0", "1.0", "-1"].map(
        (id) =>
          [
            "/setup/programs",
            { operator_id: id, name: "P", vertical: "igaming" },
            "Choose one (operator_id).",
          ] as const,
      ),
    ] as const) {
      const refused = await adminConsole.post(path, form);
      assert.equal(refused.status, 400, path);
      assert.ok(refused.html.includes(`${message}</p>`), `${path}: ${message}`);
    }
    assert.deepEqual(await counts(), before, "no key, no program");
    assert.deepEqual((await admin("GET", `/v1/affiliates/${w.affiliate.id}`)).body, affiliate, "unchanged");
    assert.deepEqual((await admin("GET", `/v1/programs/${w.program.id}`)).body, program, "unchanged");
  });

  test("an endpoint over the use case's limits (events, delay): refused next to the field, none stored", async () => {
    const endpoints = async () =>
      (await admin("GET", `/v1/endpoints?affiliate_id=${w.affiliate.id}`)).body.data.length;
    const before = await endpoints();
    const form = {
      affiliate_id: String(w.affiliate.id),
      url_template: "http://127.0.0.1:9/pb?cid={click_id}",
      method: "GET",
      statuses: "created",
      status: "active",
    };
    const many = Array.from({ length: 101 }, (_, i) => `event_${i}`).join(",");
    for (const [extra, field, message] of [
      [{ events: many, delay_seconds: "0" }, "events", "At most 100 events."],
      [{ events: "ftd", delay_seconds: "90000" }, "delay_seconds", "from 0 to 86400."],
      [{ events: "ftd", delay_seconds: "soon" }, "delay_seconds", "from 0 to 86400."],
    ] as const) {
      const refused = await adminConsole.post("/endpoints", { ...form, ...extra });
      assert.equal(refused.status, 400, field);
      const error = new RegExp(`<p class="error" id="endpoint-${field}-error">([^<]*)</p>`).exec(
        refused.html,
      );
      assert.ok(error, `the error next to ${field}`);
      assert.ok(error[1]!.endsWith(message), error[1]);
    }
    assert.equal(await endpoints(), before);
  });

  test("a stranger replaying a delivery with a valid CSRF token: refused, nothing replayed", async () => {
    expectStatus(
      await admin("POST", "/v1/endpoints", {
        affiliate_id: w.affiliate.id,
        url_template: `${receiver.url}/pb?st={status}`,
        method: "GET",
        statuses: ["created"],
      }),
      201,
    );
    const sent = await postback(
      t.url,
      w.operator.key,
      signedQuery(w.secret, ftdOf(await click(t, w))(txid(), "50.00", "p-replay", new Date().toISOString())),
    );
    expectStatus(sent, 200, "accepted");
    const conversionId = sent.body.conversion_id as string;
    const deliveredNow = async () => {
      const [delivery] = await t.store.deliveries.list({ conversionId });
      return delivery?.state === "delivered" ? delivery : undefined;
    };
    await until(async () => (await deliveredNow()) !== undefined, "the postback delivered");
    const delivery = (await deliveredNow())!;
    const path = `/conversions/${conversionId}/deliveries/${delivery.id}/replay`;

    const other = await createWorld(t, "Stranger");
    const strangers = [
      [await consoleSession(t.url, await t.key("affiliate", { affiliateId: other.affiliate.id })), 404],
      // Operators never see affiliates' endpoints or deliveries: their role is refused.
      [await consoleSession(t.url, await t.key("operator", { operatorId: w.operator.id })), 403],
      [await consoleSession(t.url, await t.key("operator", { operatorId: other.operator.id })), 403],
    ] as const;
    for (const [stranger, status] of strangers) {
      const refused = await stranger.post(path, {});
      assert.equal(refused.status, status);
      assert.equal(refused.location, null, "no redirect to a replayed timeline");
      assert.deepEqual(await t.store.deliveries.get(delivery.id), delivery, "nothing replayed");
    }
    assert.equal(receiver.hits.length, 1);

    // The affiliate it belongs to may: the same form replays it.
    const owner = await consoleSession(t.url, await t.key("affiliate", { affiliateId: w.affiliate.id }));
    const replayed = await owner.post(path, {});
    assert.equal(replayed.status, 303);
    assert.equal(replayed.location, `/conversions/${conversionId}?done=replayed`);
    await until(async () => receiver.hits.length === 2, "the replayed postback");
  });
});

for (const engine of await availableEngines()) {
  describe(`malformed ids in the program pages' addresses and forms (HTTP, ${engine})`, () => {
    let t: TestService;
    let adminConsole: ConsoleClient;
    let w: World;

    before(async () => {
      t = await startTestService(engine);
      adminConsole = await consoleSession(t.url, t.adminKey);
      w = await createWorld(t, "Malformed");
    });
    after(async () => {
      await t?.close();
    });

    test("a deal's affiliate id that is not a record id is not found (never reaches storage)", async () => {
      const path = `/setup/programs/${w.program.id}/plans`;
      for (const bad of ["1.5", "-1", "0x1", "99999999999999999999"]) {
        const opened = await adminConsole.get(`${path}/new?affiliate_id=${encodeURIComponent(bad)}`);
        assert.equal(opened.status, 404, `open with ${bad}`);
        assert.match(opened.html, /<code>not_found<\/code>/);
        const posted = await adminConsole.post(path, { affiliate_id: bad, action: "save" });
        assert.equal(posted.status, 404, `save with ${bad}`);
      }
      const own = await adminConsole.get(`${path}/new?affiliate_id=${w.affiliate.id}`);
      assert.equal(own.status, 200);
    });

    test("a program or affiliate address that is not a record id is not found, named as typed", async () => {
      for (const bad of ["abc", "1.5", "0"]) {
        for (const [path, what] of [
          [`/setup/programs/${bad}`, "Program"],
          [`/setup/programs/${bad}/plans/new`, "Program"],
          [`/setup/programs/${bad}/recalculate`, "Program"],
          [`/setup/affiliates/${bad}/parent`, "Affiliate"],
        ] as const) {
          const answer = await adminConsole.get(path);
          assert.equal(answer.status, 404, path);
          assert.ok(answer.html.includes(`${what} ${bad} was not found.`), path);
        }
        const posted = await adminConsole.post(`/setup/programs/${bad}`, {
          name: "Renamed",
          status: "active",
        });
        assert.equal(posted.status, 404, `POST /setup/programs/${bad}`);
      }
    });
  });
}
