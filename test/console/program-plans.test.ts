/**
 * Programs and commission plans in the browser (real Chromium, real service, SQLite, a controlled
 * clock): a program without a plan starts its editor from the preset; the plan is previewed in the
 * words describeTerms gives, saved, then replaced by a version scheduled for later that takes over
 * only when its date comes (a postback earns by each in turn); refusals sit next to their input; a
 * deal, a parent and FX rates are set from their pages; other roles and forged forms are refused.
 * The tests run in order on one program (each builds on the versions the previous ones saved).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { describeTerms } from "../../src/domain/commissions/describe-terms.ts";
import type { Terms } from "../../src/domain/commissions/terms.ts";
import {
  type Call,
  client,
  expectStatus,
  postback,
  signedQuery,
  txid,
  type World,
  worldVia,
} from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

const HOUR = 3_600_000;

describe("program and plan pages (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let browser: Browser;
  let world: World;
  let now = Date.now();
  const clock = { now: () => now };

  before(async () => {
    t = await startTestService("sqlite", {}, clock);
    admin = client(t.url, t.adminKey);
    browser = await launchBrowser();
    world = await worldVia(admin, "Acme", {
      name: "Acme Slots",
      vertical: "igaming",
      currency: "EUR",
      landing_url_template: "https://acme.example/?cid={click_id}",
      commission_plan: "none",
    });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function submit(page: Page, name: string) {
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name, exact: true }).click()]);
  }
  const words = async (page: Page, selector: string) =>
    (await page.locator(selector).locator("li").allTextContents()).map((s) => s.trim());
  const plans = async () => (await admin("GET", `/v1/programs/${world.program.id}/plans`)).body.data;

  /** A click on the world's link, then a signed FTD of 50.00 now (by the controlled clock); its entries' amounts. */
  async function ftdEarns(): Promise<number[]> {
    const response = await fetch(`${t.url}/c/${world.link.code}`, { redirect: "manual" });
    const clickId = new URL(response.headers.get("location")!).searchParams.get("cid")!;
    const query = signedQuery(
      world.secret,
      [
        ["event", "ftd"],
        ["txid", txid()],
        ["click_id", clickId],
        ["player_id", txid()],
        ["amount", "50.00"],
        ["currency", "EUR"],
      ],
      Math.floor(now / 1000),
    );
    const answer = await postback(t.url, world.operator.key, query);
    expectStatus(answer, 200, "accepted");
    const entries = (await admin("GET", `/v1/commissions?conversion_id=${answer.body.conversion_id}`)).body
      .data;
    return entries.map((e: { amount_minor: number }) => e.amount_minor);
  }

  test("plan editor: from the preset, previewed in words, saved; a later version takes over on its date", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup`);
    await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "Acme Slots" }).click()]);
    assert.equal(page.url(), `${t.url}/setup/programs/${world.program.id}`);
    assert.match(
      (await page.locator("#plans-h + .warning").textContent())!,
      /No commission plan is in force/,
    );
    await screenshot(page, "console-program-no-plan");

    await Promise.all([
      page.waitForNavigation(),
      page.getByRole("link", { name: "New plan version" }).click(),
    ]);
    assert.match((await page.locator("main").textContent())!, /Starts from the igaming preset/);
    assert.equal(await page.locator("#plan-cpa_amount").inputValue(), "100.00", "the preset's CPA");
    assert.equal(await page.locator("#plan-revshare_bps").inputValue(), "2500");
    // With script, only the chosen qualification's fields show.
    assert.equal(await page.locator("#plan-cpa_min_lots").isVisible(), false);
    await page.locator("#plan-cpa_kind").selectOption("qualified_trader");
    assert.equal(await page.locator("#plan-cpa_min_lots").isVisible(), true);
    await page.locator("#plan-cpa_kind").selectOption("ftd");
    await page.locator("#plan-cpa_amount").fill("75.00");
    await page.locator("#plan-cpa_min_deposit").fill("25.00");
    await page.locator("#plan-revshare_on").uncheck();
    await page.locator("#plan-cpa_tiers").fill("10 90.00");
    await page.locator("#plan-note").fill("Launch <offer>");
    await submit(page, "Preview");
    const expected: Terms = {
      cpa: {
        amountMinor: 7500,
        qualification: { kind: "ftd", minDepositMinor: 2500 },
        clawbackDays: 30,
        tiers: [{ fromCount: 10, amountMinor: 9000 }],
      },
      holdDays: 30,
    };
    assert.deepEqual(await words(page, ".preview .words"), describeTerms(expected, "EUR"));
    assert.match(
      (await page.locator(".preview").textContent())!,
      /€?75\.00 EUR CPA on a first deposit of at least 25\.00 EUR/,
    );
    assert.deepEqual(await plans(), [], "a preview stores nothing");
    assert.equal(await page.locator("#plan-cpa_amount").inputValue(), "75.00", "values kept");
    await screenshot(page, "console-plan-preview");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-plan-preview-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    await submit(page, "Save new version");
    assert.equal(page.url(), `${t.url}/setup/programs/${world.program.id}?saved=plan`);
    const [first] = await plans();
    assert.deepEqual(first.terms, expected);
    assert.equal(first.note, "Launch <offer>");
    assert.equal(await page.locator(".warning").count(), 0, "no warning once a plan is in force");
    assert.deepEqual(
      await words(page, `[data-version="${first.id}"] .words`),
      describeTerms(expected, "EUR"),
    );
    assert.deepEqual(await ftdEarns(), [7500]);

    // A version from an hour later: the one in force stays until then.
    await Promise.all([
      page.waitForNavigation(),
      page.getByRole("link", { name: "New plan version" }).click(),
    ]);
    assert.match(
      (await page.locator("main").textContent())!,
      new RegExp(`the plan in force \\(version ${first.id}\\)`),
    );
    assert.equal(
      await page.locator("#plan-cpa_amount").inputValue(),
      "75.00",
      "pre-filled from the version in force",
    );
    await page.locator("#plan-cpa_amount").fill("120.00");
    await page.locator("#plan-effective_from").fill(new Date(now + HOUR).toISOString());
    await submit(page, "Save new version");
    const second = (await plans()).find((p: { id: number }) => p.id !== first.id);
    assert.equal(second.terms.cpa.amountMinor, 12000);
    assert.match((await page.locator(`[data-version="${first.id}"]`).textContent())!, /in force/);
    assert.match((await page.locator(`[data-version="${second.id}"]`).textContent())!, /scheduled/);
    assert.deepEqual(await ftdEarns(), [7500], "the new version is not in force yet");
    await screenshot(page, "console-program-plans");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-program-plans-phone");

    now += 2 * HOUR;
    await page.reload();
    assert.match((await page.locator(`[data-version="${second.id}"]`).textContent())!, /in force/);
    assert.match((await page.locator(`[data-version="${first.id}"]`).textContent())!, /replaced/);
    assert.deepEqual(await ftdEarns(), [12000], "a postback now earns by the new version");
  });

  test("refusals next to their input, with the API's message; nothing saved", async () => {
    const before_ = (await plans()).length;
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup/programs/${world.program.id}/plans/new`);
    const refused = async (input: string, value: string, message: RegExp) => {
      await page.locator(`#plan-${input}`).fill(value);
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole("button", { name: "Save new version" }).click(),
      ]);
      assert.equal(response?.status(), 400);
      assert.equal(await page.locator(`#plan-${input}`).getAttribute("aria-invalid"), "true", input);
      assert.match((await page.locator(`#plan-${input}-error`).textContent())!, message);
      assert.equal(await page.locator(`#plan-${input}`).inputValue(), value, "value kept");
      assert.equal(await page.locator(".error").count(), 1, "one error, next to its input");
    };
    await refused("cpa_amount", "-5.00", /^terms\.cpa\.amountMinor must not be negative\.$/);
    await page.locator("#plan-cpa_amount").fill("50.00");
    await page.locator("#plan-revshare_on").check();
    await refused("revshare_bps", "10001", /^terms\.revshare\.bps must be at most 10000/);
    await page.locator("#plan-revshare_bps").fill("2500");
    await refused("effective_from", "next tuesday", /effective_from must be a date and time/);
    await page.locator("#plan-effective_from").fill(new Date(now).toISOString());
    await refused("cpa_tiers", "3 90.00\n2 95.00", /terms\.cpa\.tiers\.1\.fromCount must be more than/);
    await screenshot(page, "console-plan-refused");
    assert.equal((await plans()).length, before_);
  });

  test("a deal for one affiliate; its parent set from its page", async () => {
    const other = await admin("POST", "/v1/affiliates", { name: "Sub <Partner>" });
    expectStatus(other, 201);
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup/programs/${world.program.id}`);
    await page.locator("#deal-affiliate").selectOption(String(world.affiliate.id));
    await submit(page, "New deal");
    assert.equal(await page.locator("#plan-cpa_on").isChecked(), false, "a new deal names no component");
    await page.locator("#plan-cpa_on").check();
    await page.locator("#plan-cpa_amount").fill("150.00");
    await submit(page, "Preview");
    assert.match((await page.locator(".preview .merged").textContent())!, /150\.00 EUR CPA/);
    await submit(page, "Save new version");
    const deal = (await plans()).find(
      (p: { affiliate_id: number | null }) => p.affiliate_id === world.affiliate.id,
    );
    assert.equal(deal.terms.cpa.amountMinor, 15000);
    assert.deepEqual(Object.keys(deal.terms), ["cpa"], "only the component ticked");
    const dealWords = (await page.locator("#deals-h").locator("..").textContent())!;
    assert.match(dealWords, /Acme partner[\s\S]*The deal names: cpa[\s\S]*150\.00 EUR CPA/);
    assert.match(dealWords, /Held 30 days/, "the plan's hold, inherited");
    assert.deepEqual(await ftdEarns(), [15000], "the affiliate earns by its deal");
    await screenshot(page, "console-program-deal");

    await Promise.all([
      page.waitForNavigation(),
      page.getByRole("link", { name: "Parent (sub-affiliate override)" }).click(),
    ]);
    await page.locator("#parent-parent_id").selectOption(String(other.body.id));
    await submit(page, "Save parent");
    assert.match((await page.locator("main").textContent())!, /Now: Sub <Partner>/);
    await screenshot(page, "console-affiliate-parent");
    // The cycle is refused next to the field.
    await page.goto(`${t.url}/setup/affiliates/${other.body.id}/parent`);
    await page.locator("#parent-parent_id").selectOption(String(world.affiliate.id));
    await submit(page, "Save parent");
    assert.equal(await page.locator("#parent-parent_id").getAttribute("aria-invalid"), "true");
    assert.match((await page.locator("#parent-parent_id-error").textContent())!, /own \(indirect\) parent/);
  });

  test("FX rates: added, and refused next to the field (rate 0, same currencies)", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup`);
    await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "FX rates" }).click()]);
    await page.locator("#rate-base").fill("usd");
    await page.locator("#rate-quote").fill("EUR");
    await page.locator("#rate-rate").fill("0");
    await submit(page, "Add rate");
    assert.equal(await page.locator("#rate-rate").getAttribute("aria-invalid"), "true");
    assert.match((await page.locator("#rate-rate-error").textContent())!, /positive decimal/);
    await page.locator("#rate-rate").fill("0.92");
    await page.locator("#rate-quote").fill("USD");
    await submit(page, "Add rate");
    assert.match((await page.locator("#rate-quote-error").textContent())!, /quote must differ from base/);
    await screenshot(page, "console-fx-refused");
    await page.locator("#rate-quote").fill("EUR");
    await submit(page, "Add rate");
    assert.equal(page.url(), `${t.url}/setup/fx-rates?saved=1`);
    assert.match((await page.locator("table tbody").textContent())!, /USD\s*EUR\s*0\.92/);
    const rates = (await admin("GET", "/v1/fx-rates")).body.data;
    assert.deepEqual(
      rates.map((r: { base: string; quote: string; rate: string }) => [r.base, r.quote, r.rate]),
      [["USD", "EUR", "0.92"]],
    );
    await screenshot(page, "console-fx-rates");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-fx-rates-phone");
  });

  test("program settings: a refusal next to its field, values kept; then saved", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup/programs/${world.program.id}`);
    await page.locator("#program-name").fill("Acme Slots & Live");
    await page.locator("#program-landing_url_template").fill("ftp://acme.example/");
    const [refused] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Save settings" }).click(),
    ]);
    assert.equal(refused?.status(), 400);
    assert.equal(await page.locator("#program-landing_url_template").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#program-name").inputValue(), "Acme Slots & Live", "values kept");
    await page.locator("#program-landing_url_template").fill("https://acme.example/live?cid={click_id}");
    await page.locator("#program-lookback_days").fill("45");
    const events = (await admin("GET", `/v1/programs/${world.program.id}`)).body.allowed_events;
    await page.locator("#program-allowed_events").fill(" ftd, ,deposit ,");
    await submit(page, "Save settings");
    assert.match((await page.locator(".created").textContent())!, /Settings saved/);
    const program = (await admin("GET", `/v1/programs/${world.program.id}`)).body;
    assert.equal(program.name, "Acme Slots & Live");
    assert.equal(program.landing_url_template, "https://acme.example/live?cid={click_id}");
    assert.equal(program.lookback_days, 45);
    assert.deepEqual(program.allowed_events, ["ftd", "deposit"], "a comma list, blanks dropped");
    await admin("PATCH", `/v1/programs/${world.program.id}`, { name: "Acme Slots", allowed_events: events });
  });

  test("other roles get 403; forms without their CSRF token are refused and change nothing", async () => {
    const id = world.program.id;
    const operatorPage = await signedInPage(
      browser,
      t.url,
      await t.key("operator", { operatorId: world.operator.id }),
    );
    for (const path of [
      `/setup/programs/${id}`,
      `/setup/programs/${id}/plans/new`,
      "/setup/fx-rates",
      `/setup/affiliates/${world.affiliate.id}/parent`,
    ])
      assert.equal((await operatorPage.goto(`${t.url}${path}`))?.status(), 403, path);
    const affiliatePage = await signedInPage(
      browser,
      t.url,
      await t.key("affiliate", { affiliateId: world.affiliate.id }),
    );
    assert.equal((await affiliatePage.goto(`${t.url}/setup/programs/${id}`))?.status(), 403);

    const versions = (await plans()).length;
    const adminPage = await signedInPage(browser, t.url, t.adminKey);
    const forms: Array<[string, Record<string, string>]> = [
      [
        `/setup/programs/${id}/plans`,
        {
          action: "save",
          cpa_on: "1",
          cpa_amount: "1.00",
          cpa_kind: "ftd",
          cpa_min_deposit: "1.00",
          cpa_clawback_days: "1",
          effective_from: "2026-01-01T00:00:00Z",
        },
      ],
      [
        `/setup/programs/${id}`,
        {
          name: "Forged",
          status: "active",
          landing_url_template: "https://x.example/",
          allowed_events: "ftd",
          lookback_days: "1",
        },
      ],
      ["/setup/fx-rates", { base: "GBP", quote: "EUR", rate: "1.1" }],
      [`/setup/affiliates/${world.affiliate.id}/parent`, { parent_id: "" }],
    ];
    for (const [path, form] of forms) {
      const forged = await adminPage.request.post(`${t.url}${path}`, { form: { ...form, csrf: "nope" } });
      assert.equal(forged.status(), 403, path);
    }
    assert.equal((await plans()).length, versions);
    assert.equal((await admin("GET", `/v1/programs/${id}`)).body.name, "Acme Slots");
    assert.equal((await admin("GET", "/v1/fx-rates")).body.data.length, 1);
  });
});
