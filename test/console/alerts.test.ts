/**
 * The console's alerts page in real Chromium: firing and resolved alerts with their summaries in
 * words, names from outside shown as inert text, and an operator key seeing only its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AlertRow } from "../../src/app/alerts/alert-port.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { createFixture, startTestService, type TestService } from "../helpers/service.ts";

const HOSTILE = `Acme"><img src=x onerror=alert(1)><script>alert(2)</script>`;

const alert = (
  id: string,
  operatorId: number,
  name: string,
  at: number,
  rule: AlertRow["rule"],
): AlertRow => ({
  id,
  rule,
  subjectKind: "operator",
  subjectId: operatorId,
  subjectName: name,
  state: "firing",
  since: at - 45 * 60_000,
  resolvedAt: null,
  figures:
    rule === "operator_silent"
      ? { silent_minutes: 45, expected_postbacks: 9.5, last_postback_at: null }
      : { rejected: 30, postbacks: 40, rate: 0.75, threshold: 0.25 },
  link: `/requests?operator=${operatorId}`,
  createdAt: at,
  updatedAt: at,
});

describe("alerts page (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let browser: Browser;
  let a = 0;
  let b = 0;
  before(async () => {
    t = await startTestService("sqlite", { ALERT_INTERVAL_MS: "0" });
    const now = Date.now();
    a = (await createFixture(t.store)).operator.id;
    b = (await createFixture(t.store)).operator.id;
    await t.store.alerts.open(alert("al_1", a, HOSTILE, now, "operator_silent"), []);
    await t.store.alerts.open(alert("al_2", b, "Beta Books", now - 1000, "rejection_rate"), []);
    await t.store.alerts.resolve("al_2", now, []);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test("firing and resolved, in words, inert; an operator key sees its own only", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.waitForURL(`${t.url}/alerts`);
    const firing = page.locator("table", { has: page.locator("caption", { hasText: "Firing now" }) });
    assert.match((await firing.textContent())!, /has sent no postback for 45 min \(about 9\.5 were expected/);
    assert.ok((await firing.textContent())!.includes(HOSTILE), "the name as text");
    assert.equal(await page.locator("main img").count(), 0);
    const resolved = page.locator("table", { has: page.locator("caption", { hasText: "Resolved lately" }) });
    assert.match((await resolved.textContent())!, /Beta Books: 75 % of postbacks rejected/);
    await screenshot(page, "console-alerts");

    const operator = await signedInPage(browser, t.url, await t.key("operator", { operatorId: b }));
    await operator.goto(`${t.url}/alerts`);
    const text = (await operator.locator("main").textContent())!;
    assert.ok(text.includes("Beta Books"));
    assert.ok(!text.includes("Acme"), "another operator's alert is not shown");
  });
});
