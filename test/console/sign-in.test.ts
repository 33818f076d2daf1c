/**
 * The console in real headless Chromium against the real service: sign-in (wrong key, throttle),
 * the page each role sees, text from outside shown inert, the time zone remembered, CSRF refusals,
 * sign-out, and sessions that end (idle timeout on a controlled clock, a revoked key).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createIds } from "../../src/adapters/clock-and-ids.ts";
import { createApiKey } from "../../src/app/access/api-keys.ts";
import { IDLE_MS } from "../../src/app/access/console-sessions.ts";
import type { Clock } from "../../src/app/ports.ts";
import { type KitService, startKitService } from "../adapters/http/postback-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot } from "../helpers/browser.ts";
import { createFixture, type Fixture } from "../helpers/service.ts";

const HOSTILE = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`;

/** A clock the test moves forward. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}

describe("console sign-in and sessions (chromium, sqlite)", { skip: browserMissing }, () => {
  const clock = movableClock();
  let k: KitService;
  let f: Fixture;
  let browser: Browser;
  const keys: Record<string, string> = {};
  let adminKeyId = 0;

  async function key(role: "admin" | "operator" | "affiliate", name: string) {
    const created = await createApiKey(k.store, clock, createIds(clock), {
      name,
      role,
      ...(role === "operator" ? { operatorId: f.operator.id } : {}),
      ...(role === "affiliate" ? { affiliateId: f.affiliate.id } : {}),
    });
    assert.ok(created.ok);
    return created.value;
  }

  before(async () => {
    k = await startKitService("sqlite", { clock });
    f = await createFixture(k.store);
    await k.store.programs.update(f.program.id, { name: HOSTILE }, clock.now());
    const admin = await key("admin", `admin ${HOSTILE}`);
    adminKeyId = admin.apiKey.id;
    keys["admin"] = admin.secret;
    keys["operator"] = (await key("operator", "operator key")).secret;
    keys["affiliate"] = (await key("affiliate", "affiliate key")).secret;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await k?.close();
  });

  async function signIn(role: string, viewport?: { width: number; height: number }) {
    const page = await browser.newPage(viewport);
    await page.context().clearCookies();
    await page.goto(`${k.url}/`);
    assert.equal(new URL(page.url()).pathname, "/sign-in", "signed out: / leads to sign-in");
    await page.getByLabel("API key").fill(keys[role]!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${k.url}/`);
    return page;
  }

  test("a wrong key is refused next to the field; an admin key shows every program, inert", async () => {
    const page = await browser.newPage();
    await page.goto(`${k.url}/sign-in`);
    await page.getByLabel("API key").fill("pw_not-a-real-key-not-a-real-key-0000");
    await page.getByRole("button", { name: "Sign in" }).click();
    assert.equal(await page.getByRole("alert").textContent(), "This API key is unknown or revoked.");
    assert.equal(await page.getByLabel("API key").getAttribute("aria-invalid"), "true");
    await screenshot(page, "console-sign-in-error");
    await page.close();

    const admin = await signIn("admin");
    const cell = admin.getByRole("cell", { name: HOSTILE });
    assert.equal(await cell.count(), 1, "the hostile program name is shown as text");
    assert.equal(await admin.locator("main script, main img").count(), 0, "no element was injected");
    assert.match((await admin.locator(".who").textContent()) ?? "", /admin <script>/);
    assert.match((await admin.locator("time").first().textContent()) ?? "", / UTC$/);
    const headers = (await admin.request.get(`${k.url}/`)).headers();
    assert.match(headers["content-security-policy"] ?? "", /script-src 'self'/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    await screenshot(admin, "console-programs");
    await admin.close();
  });

  test("an operator key sees its programs; an affiliate key only its links", async () => {
    const operator = await signIn("operator");
    assert.equal(await operator.getByRole("cell", { name: HOSTILE }).count(), 1);
    await operator.close();
    const affiliate = await signIn("affiliate", { width: 390, height: 844 });
    assert.equal(await affiliate.getByRole("heading", { name: "Links" }).count(), 1);
    assert.equal(await affiliate.getByText(`/c/${f.link.code}`).count(), 1);
    assert.equal(
      await affiliate.getByRole("cell", { name: HOSTILE }).count(),
      0,
      "no programs for an affiliate",
    );
    await screenshot(affiliate, "console-affiliate-phone");
    await affiliate.close();
  });

  test("the chosen time zone is stated on every time and remembered", async () => {
    const page = await signIn("admin");
    // The select submits its form itself (console.js): wait for the page that answer leads to.
    const saved = page.waitForResponse(`${k.url}/preferences`);
    const shown = page.waitForResponse((r) => r.url() === `${k.url}/` && r.request().method() === "GET");
    await page.getByLabel("Times shown in").selectOption("Asia/Tokyo");
    assert.equal((await saved).status(), 303);
    assert.equal((await shown).status(), 200);
    await page.waitForLoadState("load");
    assert.match((await page.locator("time").first().textContent()) ?? "", / GMT\+9$/);
    await page.reload();
    assert.equal(await page.getByLabel("Times shown in").inputValue(), "Asia/Tokyo");
    assert.match((await page.locator("time").first().textContent()) ?? "", / GMT\+9$/);
    await page.close();
  });

  test("state changes without the CSRF token or from another site are refused", async () => {
    const page = await signIn("admin");
    const noToken = await page.request.post(`${k.url}/sign-out`, { form: { csrf: "forged" } });
    assert.equal(noToken.status(), 403);
    assert.match(await noToken.text(), /csrf_rejected/);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const crossSite = await page.request.post(`${k.url}/sign-out`, {
      form: { csrf },
      headers: { origin: "https://evil.example" },
    });
    assert.equal(crossSite.status(), 403);
    await page.reload();
    assert.equal(new URL(page.url()).pathname, "/", "still signed in");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${k.url}/sign-in`);
    await page.goto(`${k.url}/`);
    assert.equal(new URL(page.url()).pathname, "/sign-in", "signed out for good");
    await page.close();
  });

  test("a session ends after its idle timeout, and when its key is revoked", async () => {
    const idle = await signIn("operator");
    clock.advance(IDLE_MS);
    await idle.reload();
    assert.equal(new URL(idle.url()).pathname, "/sign-in", "idle for 12 h: signed out");
    await idle.close();

    const page = await signIn("admin");
    await k.store.apiKeys.revoke(adminKeyId, clock.now());
    await page.reload();
    assert.equal(new URL(page.url()).pathname, "/sign-in", "revoked key: signed out");
    await page.close();
  });

  test("failed sign-ins from one address are throttled (429 with Retry-After)", async () => {
    const page = await browser.newPage();
    await page.goto(`${k.url}/sign-in`);
    let last = 0;
    for (let i = 0; i < 11; i++) {
      const answer = await page.request.post(`${k.url}/sign-in`, { form: { api_key: `pw_wrong-${i}` } });
      last = answer.status();
      if (i < 9) assert.equal(last, 401, `failure ${i + 1}`);
      if (last === 429) assert.ok(Number(answer.headers()["retry-after"]) > 0);
    }
    assert.equal(last, 429);
    await page.close();
  });
});
