/**
 * The affiliate's own view (real Chromium on SQLite; the same pages over HTTP on PostgreSQL): two
 * affiliates, each with clicks, a conversion, commissions, an endpoint and its failing delivery.
 * Signed in with A's key, every list shows A's rows only, and every page or action naming B's
 * records by URL answers 404 (endpoint, its test, its edit, B's delivery replay, B's conversion);
 * A's failing delivery is replayed from A's endpoint page.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import {
  type Call,
  client,
  convert,
  expectStatus,
  payingWorlds,
  type World,
} from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { type Engine, hasPostgres } from "../helpers/engines.ts";
import { startTestService, type TestService } from "../helpers/service.ts";
import { until } from "../helpers/until.ts";

interface Side {
  readonly world: World;
  readonly conversionId: string;
  readonly endpointId: number;
  readonly deliveryId: string;
  readonly key: string;
}

/** Two paying worlds, each with a click tagged `<name>-campaign`, a conversion, an endpoint whose delivery failed once. */
async function twoAffiliates(t: TestService, admin: Call, receiver: Receiver): Promise<{ a: Side; b: Side }> {
  const { a, b } = await payingWorlds(t, admin);
  const side = async (world: World, tag: string): Promise<Side> => {
    const endpoint = await admin("POST", "/v1/endpoints", {
      affiliate_id: world.affiliate.id,
      name: `${tag} tracker`,
      url_template: `${receiver.url}/pb?cv={conversion_id}&s1={sub1}`,
      statuses: ["created"],
    });
    expectStatus(endpoint, 201);
    const clicked = await fetch(`${t.url}/c/${world.link.code}?sub1=${tag}-campaign`, { redirect: "manual" });
    const clickId = new URL(clicked.headers.get("location")!).searchParams.get("cid")!;
    const conversionId = await convert(t, world, clickId);
    const delivery = await until(async () => {
      const rows = (await admin("GET", `/v1/deliveries?endpoint_id=${endpoint.body.id}`)).body.data;
      return rows.find((d: { attempts: number }) => d.attempts >= 1);
    }, `${tag}'s delivery tried`);
    const key = await t.key("affiliate", { affiliateId: world.affiliate.id });
    return { world, conversionId, endpointId: endpoint.body.id, deliveryId: delivery.id, key };
  };
  return { a: await side(a, "alpha"), b: await side(b, "beta") };
}

const SERVICE_ENV = { DELIVERY_ALLOW: "127.0.0.1", DISPATCH_INTERVAL_MS: "20" };

describe("the affiliate's own view (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let browser: Browser;
  let receiver: Receiver;
  let a: Side;
  let b: Side;

  before(async () => {
    t = await startTestService("sqlite", SERVICE_ENV);
    admin = client(t.url, t.adminKey);
    browser = await launchBrowser();
    receiver = await startReceiver([{ status: 500, body: "down" }]);
    ({ a, b } = await twoAffiliates(t, admin, receiver));
  });
  after(async () => {
    await receiver?.close();
    await browser?.close();
    await t?.close();
  });

  async function shots(page: Page, name: string) {
    await screenshot(page, name);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, `${name}-390`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  test("every list shows its own rows only", async () => {
    const page = await signedInPage(browser, t.url, a.key);
    const nav = await page.getByRole("navigation", { name: "Main" }).textContent();
    assert.match(nav!, /Links\s*Clicks\s*Conversions\s*Commissions\s*Endpoints\s*Reports/);

    await page.getByRole("link", { name: "Clicks" }).click();
    await page.waitForURL(`${t.url}/clicks`);
    const clicks = (await page.locator("main").textContent())!;
    assert.match(clicks, /alpha-campaign/);
    assert.doesNotMatch(clicks, /beta-campaign/);
    assert.equal(await page.locator("table.clicks tbody tr").count(), 1);
    await shots(page, "console-own-clicks");
    await page.goto(`${t.url}/clicks?link_id=${b.world.link.id}`);
    assert.equal(await page.locator("table.clicks").count(), 0, "B's link filters to nothing");

    await page.goto(`${t.url}/conversions`);
    const conversions = (await page.locator("main").textContent())!;
    assert.ok(conversions.includes(a.conversionId));
    assert.ok(!conversions.includes(b.conversionId));
    await shots(page, "console-own-conversions");

    await page.goto(`${t.url}/commissions`);
    const balances = (await page.locator("table.balances").textContent())!;
    assert.match(balances, /100\.00/);
    assert.doesNotMatch(balances, /70\.00/);
    const entries = (await page.locator("table.entries").textContent())!;
    assert.ok(entries.includes(a.conversionId));
    assert.ok(!entries.includes(b.conversionId));
    await shots(page, "console-own-commissions");

    await page.goto(`${t.url}/endpoints`);
    const endpoints = (await page.locator("main table").textContent())!;
    assert.match(endpoints, /alpha tracker/);
    assert.doesNotMatch(endpoints, /beta tracker/);
    assert.equal(await page.locator("#endpoint-affiliate_id").count(), 0, "no owner to choose");
    await shots(page, "console-own-endpoints");

    // A's key adds an endpoint from the page: it is A's (no owner to choose, none to forge).
    await page.locator("#endpoint-name").fill("alpha second");
    await page.locator("#endpoint-url_template").fill(`${receiver.url}/second?cv={conversion_id}`);
    await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Create endpoint" }).click(),
    ]);
    assert.match((await page.locator("#new-secret").textContent())!, /^whsec_/);
    const owned = (await admin("GET", "/v1/endpoints")).body.data.filter(
      (e: { name: string }) => e.name === "alpha second",
    );
    assert.deepEqual(
      owned.map((e: { affiliate_id: number }) => e.affiliate_id),
      [a.world.affiliate.id],
    );
  });

  test("another affiliate's records by URL: 404; own failing delivery replayed", async () => {
    const page = await signedInPage(browser, t.url, a.key);
    for (const path of [`/endpoints/${b.endpointId}`, `/conversions/${b.conversionId}`]) {
      assert.equal((await page.goto(`${t.url}${path}`))?.status(), 404, path);
    }
    assert.equal((await page.goto(`${t.url}/setup/affiliates/${b.world.affiliate.id}`))?.status(), 403);

    await page.goto(`${t.url}/endpoints/${a.endpointId}`);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    for (const path of [
      `/endpoints/${b.endpointId}/test`,
      `/endpoints/${b.endpointId}/rotate-secret`,
      `/endpoints/${b.endpointId}`,
      `/deliveries/${b.deliveryId}/replay`,
    ]) {
      const posted = await page.request.post(`${t.url}${path}`, {
        form: {
          csrf,
          url_template: `${receiver.url}/stolen`,
          statuses: "created",
          method: "GET",
          status: "active",
        },
      });
      assert.equal(posted.status(), 404, path);
    }
    assert.equal(receiver.hits.filter((h) => h.url.startsWith("/stolen")).length, 0);
    const bEndpoint = (await admin("GET", `/v1/endpoints/${b.endpointId}`)).body;
    assert.match(bEndpoint.url_template, /\/pb\?/, "B's endpoint unchanged");
    assert.equal(bEndpoint.previous_secret_expires_at, null, "B's secret not rotated");

    await page.goto(`${t.url}/endpoints/${a.endpointId}`);
    const row = page.locator("table.deliveries tr", { hasText: a.deliveryId });
    await Promise.all([page.waitForNavigation(), row.getByRole("button", { name: /Replay/ }).click()]);
    assert.equal(page.url(), `${t.url}/endpoints/${a.endpointId}`);
    assert.match(
      (await page.locator(".flash").textContent())!,
      new RegExp(`Delivery ${a.deliveryId} replayed`),
    );
    await shots(page, "console-own-endpoint");
  });
});

const postgres = await hasPostgres();

describe("the affiliate's own view over HTTP (postgres)", { skip: !postgres && "no PostgreSQL" }, () => {
  let t: TestService;
  let receiver: Receiver;

  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  test("A's key: own clicks, conversions, commissions and endpoints; B's endpoint and conversion 404", async () => {
    const engine: Engine = "postgres";
    t = await startTestService(engine, SERVICE_ENV);
    receiver = await startReceiver([{ status: 500 }]);
    const { a, b } = await twoAffiliates(t, client(t.url, t.adminKey), receiver);
    const signIn = await fetch(`${t.url}/sign-in`, {
      method: "POST",
      body: new URLSearchParams({ api_key: a.key }),
      redirect: "manual",
    });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    const get = async (path: string) => {
      const response = await fetch(`${t.url}${path}`, { headers: { cookie }, redirect: "manual" });
      return { status: response.status, text: await response.text() };
    };
    for (const [path, own, other] of [
      ["/clicks", "alpha-campaign", "beta-campaign"],
      ["/conversions", a.conversionId, b.conversionId],
      ["/commissions", a.conversionId, b.conversionId],
      ["/endpoints", "alpha tracker", "beta tracker"],
    ] as const) {
      const page = await get(path);
      assert.equal(page.status, 200, path);
      assert.ok(page.text.includes(own), `${path} shows A's`);
      assert.ok(!page.text.includes(other), `${path} hides B's`);
    }
    assert.equal((await get(`/endpoints/${b.endpointId}`)).status, 404);
    assert.equal((await get(`/conversions/${b.conversionId}`)).status, 404);
  });
});
