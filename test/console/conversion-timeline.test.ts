/**
 * The conversion timeline in real headless Chromium against the real service (both engines'
 * storage is covered by the API tests; this runs on SQLite): found by txid, it shows the click
 * with its sub-ids as inert text, the player's FTD and partial refund, the commissions with their
 * explanations, and the postback that failed and was then replayed from the page; an affiliate
 * key cannot open another affiliate's conversion by editing the URL, and an operator key sees no
 * affiliate's endpoints.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import {
  type Call,
  client,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  txid,
  type World,
} from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";
import { until } from "../helpers/until.ts";

const HOSTILE_SUB = `"><img src=x onerror=alert(1)><script>alert("x")</script>`;

describe("conversion timeline (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let browser: Browser;
  let receiver: Receiver;
  let w: World;
  let other: World;
  let ftdTxid: string;
  let ftdId: string;
  let refundId: string;
  let clickId: string;

  const send = async (world: World, pairs: Array<[string, string]>) => {
    const reply = await postback(t.url, world.operator.key, signedQuery(world.secret, pairs));
    expectStatus(reply, 200, "accepted");
    return reply.body.conversion_id as string;
  };

  before(async () => {
    // The service's clock runs at a hundredth of the real pace: the automatic retry of the failed
    // postback (5 s after it on the retry schedule) cannot come before the test's replay, however
    // slow a loaded machine makes the steps in between.
    const origin = Date.now();
    const slow = { now: () => origin + Math.floor((Date.now() - origin) / 100) };
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" }, slow);
    admin = client(t.url, t.adminKey);
    receiver = await startReceiver([{ status: 500, body: "upstream says no" }, { status: 200 }]);
    w = await createWorld(t, "Timeline");
    other = await createWorld(t, "Elsewhere");
    expectStatus(
      await admin("POST", "/v1/endpoints", {
        affiliate_id: w.affiliate.id,
        url_template: `${receiver.url}/pb?cid={click_id}&st={status}&p={payout}`,
        method: "GET",
        statuses: ["created"],
      }),
      201,
    );
    const click = await fetch(
      `${t.url}/c/${w.link.code}?sub1=${encodeURIComponent(HOSTILE_SUB)}&sub2=banner-7`,
      {
        redirect: "manual",
      },
    );
    clickId = new URL(click.headers.get("location")!).searchParams.get("cid")!;
    ftdTxid = txid();
    ftdId = await send(w, [
      ["event", "ftd"],
      ["txid", ftdTxid],
      ["click_id", clickId],
      ["player_id", "player-42"],
      ["amount", "50.00"],
      ["currency", "EUR"],
      // The slow clock gives both events the same millisecond otherwise: their order would be the
      // ids' random part.
      ["occurred_at", new Date(slow.now() - 60_000).toISOString()],
    ]);
    refundId = await send(w, [
      ["event", "refund"],
      ["txid", txid()],
      ["reverses", ftdTxid],
      ["amount", "10.00"],
      ["currency", "EUR"],
      ["occurred_at", new Date(slow.now() - 30_000).toISOString()],
    ]);
    // The first attempt fails (500): wait for it to be recorded.
    await until(
      async () => (await t.store.deliveries.attempts({ limit: 10 })).length > 0,
      "the first attempt",
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  const signedIn = (key: string) => signedInPage(browser, t.url, key);

  test("found by txid: click, events, commissions and the failed postback, replayed from the page", async () => {
    const page = await signedIn(t.adminKey);
    await page.getByLabel("Find a conversion").fill(ftdTxid);
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(`${t.url}/conversions/${ftdId}`);
    assert.equal(await page.locator("h1").textContent(), `ftd ${ftdTxid}`);

    const click = page.locator("section", { has: page.getByRole("heading", { name: "Click" }) });
    assert.ok((await click.textContent())!.includes(HOSTILE_SUB), "the sub-id shown as text");
    assert.equal(await page.locator("section img").count(), 0, "no injected element");
    assert.ok((await click.textContent())!.includes("banner-7"));

    const events = page.locator("section", {
      has: page.getByRole("heading", { name: "The player's events" }),
    });
    const rows = (await events.locator("tbody tr").allTextContents()).map((r) => r.replace(/\s+/g, " "));
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /ftd.*50\.00 EUR/);
    assert.match(rows[1]!, /refund.*10\.00 EUR/);

    const ledger = page.locator("section", { has: page.getByRole("heading", { name: "Commissions" }) });
    const entries = (await ledger.locator("tbody tr").allTextContents()).map((r) => r.replace(/\s+/g, " "));
    assert.ok(entries.length >= 2, "the FTD's commission and the refund's clawback");
    assert.ok(
      entries.some((e) => /commission/.test(e) && /100\.00 EUR/.test(e)),
      entries.join(" | "),
    );

    const out = page.locator("section", { has: page.getByRole("heading", { name: "Outbound postbacks" }) });
    assert.match((await out.textContent())!, /500/);
    await out.getByRole("button", { name: "Replay" }).first().click();
    await page.waitForURL(`${t.url}/conversions/${ftdId}?done=replayed`);
    assert.equal(
      await page.getByRole("status").textContent(),
      "The postback was queued to be sent again now.",
    );
    await until(async () => receiver.hits.length >= 2, "the replayed postback");
    await until(
      async () => (await t.store.deliveries.list({ conversionId: ftdId }))[0]?.state === "delivered",
      "delivered",
    );
    await page.reload();
    assert.match((await out.textContent())!, /delivered/);
    assert.equal(await out.locator("tbody tr").count(), 2, "both attempts listed");
    await screenshot(page, "console-conversion-timeline");

    await page.goto(`${t.url}/conversions/${refundId}`);
    assert.match((await page.locator("dl.facts").first().textContent())!, /Reverses/);
  });

  test("search: a player id leads to its timeline; a txid two operators share lists both; a click id lists its conversions; nothing is nothing", async () => {
    const page = await signedIn(t.adminKey);
    await page.goto(`${t.url}/search?q=player-42`);
    assert.equal(new URL(page.url()).pathname, `/conversions/${ftdId}`, "one match: its timeline");
    const twin = await send(other, [
      ["event", "registration"],
      ["txid", ftdTxid],
    ]);
    await page.goto(`${t.url}/search?q=${encodeURIComponent(ftdTxid)}`);
    const links = await page
      .locator("main tbody a")
      .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(links.sort(), [`/conversions/${ftdId}`, `/conversions/${twin}`].sort());
    // A click id: the conversion that carries it (and its player's other events), and the click.
    await page.goto(`${t.url}/search?q=${encodeURIComponent(clickId)}`);
    const byClick = await page
      .locator("main tbody a")
      .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.ok(byClick.includes(`/conversions/${ftdId}`), `the click's conversion listed: ${byClick}`);
    assert.ok(!byClick.includes(`/conversions/${twin}`), "not another operator's namesake");
    assert.match((await page.locator("#click-h").textContent())!, new RegExp(clickId));
    await page.goto(`${t.url}/search?q=${encodeURIComponent("<b>nothing</b>")}`);
    assert.match(
      (await page.locator("main").textContent())!,
      /No conversion has the id, txid, player id or click id/,
    );
    assert.equal(await page.locator("main b").count(), 0);
  });

  test("scoping by URL: another affiliate gets a 404; an operator key sees no endpoints; a replay without its token is refused", async () => {
    const stranger = await signedIn(await t.key("affiliate", { affiliateId: other.affiliate.id }));
    const response = await stranger.goto(`${t.url}/conversions/${ftdId}`);
    assert.equal(response?.status(), 404);
    const operator = await signedIn(await t.key("operator", { operatorId: w.operator.id }));
    await operator.goto(`${t.url}/conversions/${ftdId}`);
    assert.equal(await operator.getByRole("heading", { name: "Outbound postbacks" }).count(), 0);
    assert.equal(await operator.getByRole("heading", { name: "Commissions" }).count(), 1);

    const deliveries = await t.store.deliveries.list({ conversionId: ftdId });
    const forged = await operator.request.post(
      `${t.url}/conversions/${ftdId}/deliveries/${deliveries[0]!.id}/replay`,
      {
        form: { csrf: "forged" },
      },
    );
    assert.equal(forged.status(), 403);
  });
});
