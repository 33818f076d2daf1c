/**
 * Console II's "done when", end to end in real Chromium against the real service: a newcomer with
 * the admin key sets up an operator, a program (with its preset plan), an affiliate, a tracking
 * link and the affiliate's outbound endpoint, all in the browser; the operator's backend sends an
 * FTD signed with the secret copied from the page; the conversion's whole story (click, event,
 * commission in words, the delivered outbound postback) is then found by searching its txid.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import { expectStatus, postback, signedQuery, txid } from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";
import { until } from "../helpers/until.ts";

describe("a newcomer's first conversion, all in the browser (chromium, sqlite)", {
  skip: browserMissing,
}, () => {
  let t: TestService;
  let browser: Browser;
  let receiver: Receiver;

  before(async () => {
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" });
    receiver = await startReceiver();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  async function submit(page: Page, name: string) {
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name, exact: true }).click()]);
  }
  const follow = async (page: Page, name: string) =>
    Promise.all([page.waitForNavigation(), page.getByRole("link", { name, exact: true }).first().click()]);

  test("operator, program with its plan, affiliate, link and endpoint; one FTD; its story by txid", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await follow(page, "Set-up");

    await page.locator("#operator-name").fill("Lucky Casino");
    await submit(page, "Create operator");
    const secret = (await page.locator("#new-secret").textContent())!;
    const key = (await page.locator(".created code").first().textContent())!;

    await page.locator("#program-name").fill("Lucky Slots");
    await page.locator("#program-landing_url_template").fill("https://lucky.example/?cid={click_id}");
    await submit(page, "Create program");
    const programs = page.locator("table", { has: page.locator("caption", { hasText: "Programs" }) });
    assert.doesNotMatch((await programs.textContent())!, /No plan/, "the vertical's preset is in force");

    await page.locator("#affiliate-name").fill("Top Partner");
    await submit(page, "Create affiliate");
    await submit(page, "Create link");

    // The affiliate's page: its tracking URL, and its endpoint.
    await follow(page, "Top Partner");
    const trackingUrl = (await page.locator("main code", { hasText: "/c/" }).first().textContent())!;
    await page.goto(`${t.url}/endpoints?affiliate_id=1`);
    await page.locator("#endpoint-name").fill("Partner tracker");
    await page.locator("#endpoint-url_template").fill(`${receiver.url}/pb?cid={click_id}&p={payout}`);
    await submit(page, "Create endpoint");

    // A visitor clicks; the operator's backend reports the first deposit, signed with the secret.
    const click = await fetch(trackingUrl.replace(/^https?:\/\/[^/]+/, t.url), { redirect: "manual" });
    const clickId = new URL(click.headers.get("location")!).searchParams.get("cid")!;
    const sent = txid();
    const ftd = await postback(
      t.url,
      key,
      signedQuery(secret, [
        ["event", "ftd"],
        ["txid", sent],
        ["click_id", clickId],
        ["player_id", "lucky-1"],
        ["amount", "50.00"],
        ["currency", "EUR"],
      ]),
    );
    expectStatus(ftd, 200, "accepted");
    await until(async () => receiver.hits.length >= 1, "the outbound postback");
    await until(
      async () =>
        (await t.store.deliveries.list({ conversionId: ftd.body.conversion_id }))[0]?.state === "delivered",
      "delivered",
    );

    // Its whole story, found by txid from the header's search.
    await page.getByLabel("Find a conversion").fill(sent);
    await Promise.all([
      page.waitForURL(/\/conversions\//),
      page.getByRole("button", { name: "Search" }).click(),
    ]);
    const main = (await page.locator("main").textContent())!.replace(/\s+/g, " ");
    assert.match(main, new RegExp(clickId), "the click");
    assert.match(main, /ftd.*50\.00 EUR/, "the event");
    assert.match(main, /commission · cpa.*100\.00 EUR.*CPA for a ftd/, "the commission, explained in words");
    assert.match(main, /delivered/, "the outbound postback");
    assert.match(receiver.hits[0]!.url, /p=100\.00/, "the affiliate was told its payout");
    await screenshot(page, "console-newcomer-timeline");
  });
});
