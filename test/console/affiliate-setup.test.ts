/**
 * Affiliates, links, endpoints and API keys in the browser (real Chromium, real service on SQLite,
 * a real receiver on 127.0.0.1): an admin edits an affiliate (a refusal next to its field first),
 * creates a link and sees its tracking URL; creates an endpoint (a bad URL and a private address
 * refused next to the field), sends a test and sees the full result; creates an API key (shown
 * once) and revokes it, which signs its console session out. Forms without their CSRF token are
 * refused and change nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import { type Call, client, createWorld, type World } from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("affiliates, endpoints and API keys pages (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let browser: Browser;
  let receiver: Receiver;
  let world: World;

  before(async () => {
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1" });
    admin = client(t.url, t.adminKey);
    browser = await launchBrowser();
    receiver = await startReceiver([{ status: 202, body: "thanks <b>partner</b>" }]);
    world = await createWorld(t, "Acme");
  });
  after(async () => {
    await receiver?.close();
    await browser?.close();
    await t?.close();
  });

  async function submit(page: Page, name: string) {
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name, exact: true }).click()]);
  }

  /** The same page at phone width, saved as `<name>-390`. */
  async function phoneShot(page: Page, name: string) {
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, `${name}-390`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  test("affiliate: edited (refusal next to its field), link created with its tracking URL", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup`);
    await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "Acme partner" }).click()]);
    assert.equal(page.url(), `${t.url}/setup/affiliates/${world.affiliate.id}`);
    assert.equal(
      await page.getByRole("link", { name: /Parent affiliate/ }).getAttribute("href"),
      `/setup/affiliates/${world.affiliate.id}/parent`,
    );

    await page.locator("#affiliate-name").fill("Acme Media");
    await page.locator("#affiliate-email").fill("not-an-address");
    await submit(page, "Save affiliate");
    assert.equal(await page.locator("#affiliate-email").getAttribute("aria-invalid"), "true");
    assert.equal(
      await page.locator("#affiliate-email-error").textContent(),
      "email is not an email address.",
    );
    assert.equal(await page.locator("#affiliate-name").inputValue(), "Acme Media", "values kept");
    assert.equal((await admin("GET", `/v1/affiliates/${world.affiliate.id}`)).body.name, "Acme partner");

    await page.locator("#affiliate-email").fill("team@acme.example");
    await page.locator("#affiliate-status").selectOption("disabled");
    await submit(page, "Save affiliate");
    assert.match((await page.locator(".created").textContent())!, /Affiliate saved/);
    const saved = (await admin("GET", `/v1/affiliates/${world.affiliate.id}`)).body;
    assert.deepEqual(
      [saved.name, saved.email, saved.status],
      ["Acme Media", "team@acme.example", "disabled"],
    );

    await page.locator("#link-program_id").selectOption(String(world.program.id));
    await submit(page, "Create link");
    assert.match((await page.locator(".created").textContent())!, /Tracking link created/);
    const links = (await admin("GET", `/v1/links?affiliate_id=${world.affiliate.id}`)).body.data;
    assert.equal(links.length, 2);
    for (const link of links) {
      const url = page.locator(`#link-url-${link.id}`);
      assert.match((await url.textContent())!, new RegExp(`^http://[^/]+/c/${link.code}$`));
      assert.equal(await page.locator(`button[data-copy="link-url-${link.id}"]`).count(), 1);
    }
    await page.getByText("Sub-ids: tagging your traffic").click();
    assert.match((await page.locator("#sub-id-help").textContent())!, /sub1[\s\S]*sub5/);
    await screenshot(page, "console-affiliate");
    await phoneShot(page, "console-affiliate");
  });

  test("endpoint: bad URL and private address refused next to the field; created; test shows the full result", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/endpoints?affiliate_id=${world.affiliate.id}`);
    assert.equal(await page.locator("#endpoint-affiliate_id").inputValue(), String(world.affiliate.id));

    await page.locator("#endpoint-name").fill("Tracker");
    await page.locator("#endpoint-url_template").fill("ftp://tracker.example/pb");
    await submit(page, "Create endpoint");
    assert.equal(await page.locator("#endpoint-url_template").getAttribute("aria-invalid"), "true");
    assert.match((await page.locator("#endpoint-url_template-error").textContent())!, /http/);

    await page.locator("#endpoint-url_template").fill("http://10.1.2.3/pb?cid={click_id}");
    await submit(page, "Create endpoint");
    assert.match((await page.locator("#endpoint-url_template-error").textContent())!, /may not be called/);
    assert.equal(await page.locator("#endpoint-name").inputValue(), "Tracker", "values kept");
    await screenshot(page, "console-endpoints-refused");
    await phoneShot(page, "console-endpoints-refused");
    assert.equal((await admin("GET", "/v1/endpoints")).body.data.length, 0);

    await page.locator("#endpoint-url_template").fill(`${receiver.url}/pb?cid={click_id}&st={status}`);
    await page.locator("#endpoint-method").selectOption("POST");
    await submit(page, "Create endpoint");
    const secret = (await page.locator("#new-secret").textContent())!;
    assert.match(secret, /^whsec_/);
    const endpoint = (await admin("GET", "/v1/endpoints")).body.data[0];
    assert.equal(page.url(), `${t.url}/endpoints`);
    await page.goto(`${t.url}/endpoints/${endpoint.id}`);
    assert.equal(await page.locator("#new-secret").count(), 0, "the secret is shown once");

    await submit(page, "Send test");
    assert.equal(await page.locator("#test-status").textContent(), "HTTP 202");
    assert.equal(await page.locator("#test-response").textContent(), "thanks <b>partner</b>");
    const sent = (await page.locator("#test-request").textContent())!;
    assert.match(sent, new RegExp(`^POST ${receiver.url}/pb\\?cid=`));
    assert.match(sent, /webhook-signature: v1,/);
    assert.equal(receiver.hits.length, 1, "the receiver got the test");
    assert.equal(receiver.hits[0]!.method, "POST");
    await screenshot(page, "console-endpoint-test");
    await phoneShot(page, "console-endpoint-test");

    // Settings: a refusal next to its field, then saved.
    await page.locator("#settings-delay_seconds").fill("90000");
    await submit(page, "Save endpoint");
    assert.equal(await page.locator("#settings-delay_seconds").getAttribute("aria-invalid"), "true");
    await page.locator("#settings-delay_seconds").fill("60");
    await page.locator("#settings-events").fill("ftd, registration");
    await submit(page, "Save endpoint");
    assert.match((await page.locator(".flash").textContent())!, /Endpoint saved/);
    const changed = (await admin("GET", `/v1/endpoints/${endpoint.id}`)).body;
    assert.deepEqual([changed.delay_seconds, changed.events], [60, ["ftd", "registration"]]);

    await submit(page, "Rotate signing secret");
    const rotated = (await page.locator("#new-secret").textContent())!;
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
  });

  test("API key: created and shown once; revoked from the page, its console session signed out", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup/api-keys`);
    await page.locator("#key-name").fill("Acme's own key");
    await page.locator("#key-role").selectOption("affiliate");
    await submit(page, "Create key");
    assert.equal(await page.locator("#key-affiliate_id").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#key-name").inputValue(), "Acme's own key", "values kept");

    await page.locator("#key-affiliate_id").selectOption(String(world.affiliate.id));
    await submit(page, "Create key");
    const key = (await page.locator("#new-key").textContent())!;
    assert.match(key, /^pw_/);
    await screenshot(page, "console-api-keys");
    await phoneShot(page, "console-api-keys");
    await page.goto(`${t.url}/setup/api-keys`);
    assert.equal(await page.locator("#new-key").count(), 0, "shown once");
    assert.equal((await page.content()).includes(key), false, "the key is nowhere on the page");

    // The new key signs in (another browser profile), then is revoked by the admin.
    const other = await launchBrowser();
    try {
      const affiliatePage = await signedInPage(other, t.url, key);
      assert.equal(await affiliatePage.getByRole("heading", { level: 1 }).textContent(), "Links");
      const row = page.locator("tr", { hasText: "Acme's own key" });
      await Promise.all([page.waitForNavigation(), row.getByRole("button", { name: /Revoke/ }).click()]);
      assert.match((await page.locator(".flash").textContent())!, /revoked/);
      for (const forged of ["0", "007", "1e3", "Acme"]) {
        await page.goto(`${t.url}/setup/api-keys?revoked=${forged}`);
        assert.equal(await page.locator(".flash").count(), 0, `no notice for "${forged}"`);
      }
      assert.notEqual(await row.locator("time").count(), 0);
      const next = await affiliatePage.goto(`${t.url}/clicks`);
      assert.equal(next?.url(), `${t.url}/sign-in`, "the revoked key's session is over");
    } finally {
      await other.close();
    }
  });

  test("forms without their CSRF token are refused and change nothing", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    const keys = (await admin("GET", "/v1/api-keys")).body.data.length;
    const endpoints = (await admin("GET", "/v1/endpoints")).body.data.length;
    for (const [path, form] of [
      ["/setup/api-keys", { name: "Forged", role: "admin" }],
      [
        "/endpoints",
        {
          affiliate_id: String(world.affiliate.id),
          url_template: `${receiver.url}/x`,
          method: "GET",
          statuses: "created",
          status: "active",
        },
      ],
      [`/setup/affiliates/${world.affiliate.id}`, { name: "Forged", status: "active" }],
      [`/setup/affiliates/${world.affiliate.id}/links`, { program_id: String(world.program.id) }],
    ] as const) {
      const forged = await page.request.post(`${t.url}${path}`, { form: { ...form } });
      assert.equal(forged.status(), 403, path);
    }
    assert.equal((await admin("GET", "/v1/api-keys")).body.data.length, keys);
    assert.equal((await admin("GET", "/v1/endpoints")).body.data.length, endpoints);
    assert.notEqual((await admin("GET", `/v1/affiliates/${world.affiliate.id}`)).body.name, "Forged");
    assert.equal((await admin("GET", `/v1/links?affiliate_id=${world.affiliate.id}`)).body.data.length, 2);
  });
});
