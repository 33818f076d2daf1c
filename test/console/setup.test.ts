/**
 * Set-up in the browser (real Chromium, real service): a newcomer with the admin key creates an
 * operator (its secret shown once), a program with no plan, an affiliate and a link; traffic
 * arrives; a plan is added; the recalculation is previewed and applied from the page and credits
 * exactly once. Refusals appear next to their field; other roles and forged forms are refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { PLAN_PRESETS } from "../../src/domain/commissions/presets.ts";
import { type Call, client, expectStatus, postback, signedQuery, txid } from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("set-up pages (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let browser: Browser;

  before(async () => {
    t = await startTestService("sqlite");
    admin = client(t.url, t.adminKey);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Clicks a form's button and waits for the answer page (same URL or not). */
  async function submit(page: Page, name: string) {
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name }).click()]);
  }

  const signedIn = (key: string) => signedInPage(browser, t.url, key);

  test("operator, program without a plan, affiliate, link; traffic; plan; recalculated from the page once", async () => {
    const page = await signedIn(t.adminKey);
    await page.getByRole("link", { name: "Set-up" }).click();
    await page.waitForURL(`${t.url}/setup`);

    // A refusal next to its field, the other values kept.
    await page.locator("#operator-name").fill("   ");
    await submit(page, "Create operator");
    assert.equal(await page.locator("#operator-name").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#operator-name-error").textContent(), "name is required.");

    await page.locator("#operator-name").fill("Acme <Casino>");
    await submit(page, "Create operator");
    const secret = (await page.locator("#new-secret").textContent())!;
    assert.match(secret, /^whsec_/);
    assert.match((await page.locator(".created").textContent())!, /Operator Acme <Casino> created/);
    await page.goto(`${t.url}/setup`);
    assert.equal(await page.locator("#new-secret").count(), 0, "shown once");
    const operator = (await admin("GET", "/v1/operators")).body.data.at(-1);

    await page.locator("#program-name").fill("Acme Slots");
    await page.locator("#program-currency").fill("XYZ");
    await page.locator("#program-landing_url_template").fill("https://acme.example/?cid={click_id}");
    await page.locator("#program-commission_plan").selectOption("none");
    await submit(page, "Create program");
    assert.equal(await page.locator("#program-currency").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#program-name").inputValue(), "Acme Slots", "values kept");
    await page.locator("#program-currency").fill("EUR");
    await submit(page, "Create program");
    await page.waitForURL(`${t.url}/setup?created=program`);
    assert.match((await page.locator("table").first().textContent())!, /No plan: earns nothing/);

    await page.locator("#affiliate-name").fill("Partner One");
    await submit(page, "Create affiliate");
    await page.waitForURL(`${t.url}/setup?created=affiliate`);
    await submit(page, "Create link");
    await page.waitForURL(`${t.url}/setup?created=link`);
    const code = (await page.locator("table").nth(1).locator("tbody code").first().textContent())!.split(
      "/c/",
    )[1]!;
    await screenshot(page, "console-setup");

    // Traffic with the secret copied from the page: an FTD that earns nothing (no plan).
    const click = await fetch(`${t.url}/c/${code}`, { redirect: "manual" });
    const clickId = new URL(click.headers.get("location")!).searchParams.get("cid")!;
    const ftd = await postback(
      t.url,
      operator.key,
      signedQuery(secret, [
        ["event", "ftd"],
        ["txid", txid()],
        ["click_id", clickId],
        ["player_id", "p1"],
        ["amount", "50.00"],
        ["currency", "EUR"],
      ]),
    );
    expectStatus(ftd, 200, "accepted");
    const program = (await admin("GET", "/v1/programs")).body.data.at(-1);
    expectStatus(
      await admin("POST", `/v1/programs/${program.id}/plans`, {
        terms: PLAN_PRESETS.igaming,
        effective_from: "2000-01-01T00:00:00Z",
      }),
      201,
    );

    await page.goto(`${t.url}/setup/programs/${program.id}/recalculate`);
    await page.getByLabel("From (occurred at, UTC)").fill("2020-01-01T00:00:00Z");
    await page.getByLabel("To (excluded)").fill("2100-01-01T00:00:00Z");
    await submit(page, "Preview");
    assert.match(
      (await page.locator(".result").textContent())!,
      /Preview: nothing stored yet[\s\S]*1 conversions credited, 1 ledger entries/,
    );
    assert.deepEqual(
      (await admin("GET", `/v1/commissions?conversion_id=${ftd.body.conversion_id}`)).body.data,
      [],
    );
    await submit(page, "Apply: write these entries");
    assert.match((await page.locator(".result").textContent())!, /Applied: recalculation rc/);
    const entries = (await admin("GET", `/v1/commissions?conversion_id=${ftd.body.conversion_id}`)).body.data;
    assert.deepEqual(
      entries.map((e: { amount_minor: number }) => e.amount_minor),
      [PLAN_PRESETS.igaming.cpa!.amountMinor],
    );
    await screenshot(page, "console-recalculation");
    // Once more: nothing left to credit.
    await submit(page, "Preview");
    assert.match((await page.locator(".result").textContent())!, /0 conversions credited/);
  });

  test("other roles get 403; a form without its CSRF token is refused and creates nothing", async () => {
    const operators = (await admin("GET", "/v1/operators")).body.data.length;
    const page = await signedIn(await t.key("operator", { operatorId: 1 }));
    const response = await page.goto(`${t.url}/setup`);
    assert.equal(response?.status(), 403);
    const adminPage = await signedIn(t.adminKey);
    const forged = await adminPage.request.post(`${t.url}/setup/operators`, {
      form: { name: "Forged", csrf: "nope" },
    });
    assert.equal(forged.status(), 403);
    assert.equal((await admin("GET", "/v1/operators")).body.data.length, operators);
  });
});
