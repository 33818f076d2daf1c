/**
 * The conversion timeline names its affiliate (facts, click, commissions) and its endpoints
 * (outbound postbacks) with their ids, escaped, over real HTTP: to an admin and to the affiliate
 * itself; an operator key, which may not read affiliates, still sees ids only.
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
import { consoleSession } from "../helpers/console-http.ts";
import { ftdOf } from "../helpers/event-pairs.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

const AFFILIATE = `Ace <b>"Media"</b> & Co`;
const AFFILIATE_HTML = "Ace &lt;b&gt;&quot;Media&quot;&lt;/b&gt; &amp; Co";
const ENDPOINT = "<i>Tracker</i>";
const ENDPOINT_HTML = "&lt;i&gt;Tracker&lt;/i&gt;";

describe("conversion timeline names (HTTP, sqlite)", () => {
  let t: TestService;
  let admin: Call;
  let receiver: Receiver;
  let w: World;
  let conversionId: string;
  let endpointId: number;

  before(async () => {
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1" });
    admin = client(t.url, t.adminKey);
    receiver = await startReceiver();
    w = await createWorld(t, "Names");
    expectStatus(await admin("PATCH", `/v1/affiliates/${w.affiliate.id}`, { name: AFFILIATE }), 200);
    const endpoint = await admin("POST", "/v1/endpoints", {
      affiliate_id: w.affiliate.id,
      name: ENDPOINT,
      url_template: `${receiver.url}/pb?st={status}`,
      method: "GET",
      statuses: ["created"],
    });
    expectStatus(endpoint, 201);
    endpointId = endpoint.body.id;
    const sent = await postback(
      t.url,
      w.operator.key,
      signedQuery(w.secret, ftdOf(await click(t, w))(txid(), "50.00", "p-names", new Date().toISOString())),
    );
    expectStatus(sent, 200, "accepted");
    conversionId = sent.body.conversion_id;
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  for (const role of ["admin", "affiliate"] as const)
    test(`${role}: the affiliate and the endpoint by name, escaped, with their ids`, async () => {
      const key = role === "admin" ? t.adminKey : await t.key("affiliate", { affiliateId: w.affiliate.id });
      const page = await (await consoleSession(t.url, key)).get(`/conversions/${conversionId}`);
      assert.equal(page.status, 200);
      const affiliateNamed = `${AFFILIATE_HTML} <span class="hint">(id ${w.affiliate.id})</span>`;
      assert.match(page.html, new RegExp(`<dt>Affiliate</dt><dd>${RegExp.escape(affiliateNamed)}</dd>`));
      // The facts, the click and the commission's row.
      assert.equal(page.html.split(affiliateNamed).length - 1, 3);
      assert.ok(
        page.html.includes(`endpoint ${ENDPOINT_HTML} <span class="hint">(id ${endpointId})</span>`),
        "the endpoint named",
      );
      assert.ok(!page.html.includes(AFFILIATE) && !page.html.includes(ENDPOINT), "nothing unescaped");
    });

  test("operator: ids only, no affiliate name", async () => {
    const key = await t.key("operator", { operatorId: w.operator.id });
    const page = await (await consoleSession(t.url, key)).get(`/conversions/${conversionId}`);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`<dt>Affiliate</dt><dd>id ${w.affiliate.id}</dd>`));
    assert.ok(!page.html.includes(AFFILIATE_HTML), "the affiliate's name is not the operator's to read");
  });
});
