/**
 * An operator's pages in the browser (real Chromium, real service): the admin edits its settings
 * (a bad CIDR refused next to its field), its mapping (then a postback in the operator's own
 * names is accepted), issues a secret shown once (the old one still verifies until retired) and a
 * static token; the Integration page shows the template in each macro syntax and a sender that
 * works as copied. Operator keys reach their own Integration page only (and change their own
 * mapping there); forged forms are refused.
 * The edit flow runs on SQLite and, when it is there, PostgreSQL.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { secretFingerprint } from "../../src/app/admin/operators.ts";
import { MACRO_SYNTAXES, macroPlaceholder } from "../../src/domain/macros.ts";
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
import { availableEngines } from "../helpers/engines.ts";
import { startTestService, type TestService } from "../helpers/service.ts";
import { runCommand } from "../sdk/snippet-kit.ts";

/** Clicks a form's button and waits for the answer page. */
async function submit(page: Page, name: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name, exact: true }).click()]);
}

const registration = (secret: string, extra: Array<[string, string]> = []) =>
  signedQuery(secret, [["event", "registration"], ["txid", txid()], ["player_id", "p-1"], ...extra]);

for (const engine of await availableEngines()) {
  describe(`operator set-up page (chromium, ${engine})`, { skip: browserMissing }, () => {
    let t: TestService;
    let admin: Call;
    let browser: Browser;
    let world: World;
    let page: Page;

    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      browser = await launchBrowser();
      world = await createWorld(t, "Acme");
      page = await signedInPage(browser, t.url, t.adminKey);
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    const editUrl = () => `${t.url}/setup/operators/${world.operator.id}`;

    test("settings: reached from /setup, a bad CIDR refused next to its field, then saved", async () => {
      await page.goto(`${t.url}/setup`);
      await page.getByRole("link", { name: "Edit Acme", exact: true }).click();
      await page.waitForURL(editUrl());
      await page.locator("#settings-name").fill("Acme Group");
      await page.locator("#settings-ip_allowlist").fill("127.0.0.1/32\n10.0.0.0/33");
      await submit(page, "Save settings");
      assert.equal(await page.locator("#settings-ip_allowlist").getAttribute("aria-invalid"), "true");
      assert.match((await page.locator("#settings-ip_allowlist-error").textContent())!, /10\.0\.0\.0\/33/);
      assert.equal(await page.locator("#settings-name").inputValue(), "Acme Group", "values kept");
      assert.equal(
        (await admin("GET", `/v1/operators/${world.operator.id}`)).body.name,
        "Acme",
        "nothing saved",
      );

      await page.locator("#settings-key").fill("a b");
      await page.locator("#settings-ip_allowlist").fill("127.0.0.1/32\n::1");
      await submit(page, "Save settings");
      assert.equal(await page.locator("#settings-key").getAttribute("aria-invalid"), "true");
      await page.locator("#settings-key").fill(world.operator.key);
      await submit(page, "Save settings");
      assert.match((await page.locator(".created").textContent())!, /Settings saved/);
      const saved = (await admin("GET", `/v1/operators/${world.operator.id}`)).body;
      assert.equal(saved.name, "Acme Group");
      assert.deepEqual(saved.auth.ip_allowlist, ["127.0.0.1/32", "::1/128"]);
      expectStatus(await postback(t.url, world.operator.key, registration(world.secret)), 200, "accepted");
    });

    test("mapping: a refusal next to its row, then a postback in the operator's names is accepted", async () => {
      await page.goto(editUrl());
      await page.locator("#mapping-param_player_id").fill("btag");
      await page.locator("#mapping-param_event").fill("kind");
      await page.locator("#mapping-values_event").fill("signup=Sign Up");
      await submit(page, "Save mapping");
      assert.equal(await page.locator("#mapping-values_event").getAttribute("aria-invalid"), "true");
      assert.equal(
        await page.locator("#mapping-values_event-error").textContent(),
        '"Sign Up" is not an event name.',
      );
      assert.equal(await page.locator("#mapping-param_player_id").inputValue(), "btag", "values kept");
      await page.locator("#mapping-param_txid").fill("sig");
      await page.locator("#mapping-values_event").fill("signup=registration");
      await submit(page, "Save mapping");
      assert.match(
        (await page.locator("#mapping-param_txid-error").textContent())!,
        /sig is an authentication parameter/,
      );
      await page.locator("#mapping-param_txid").fill("");
      await submit(page, "Save mapping");
      assert.match((await page.locator(".created").textContent())!, /Mapping saved/);
      assert.equal(await page.locator("#mapping-param_player_id").inputValue(), "btag", "shown as stored");
      const theirs = signedQuery(world.secret, [
        ["kind", "signup"],
        ["txid", txid()],
        ["btag", "p-mapped"],
      ]);
      const answer = await postback(t.url, world.operator.key, theirs);
      expectStatus(answer, 200, "accepted");
      const stored = (await admin("GET", `/v1/conversions/${answer.body.conversion_id}`)).body;
      assert.deepEqual([stored.event, stored.player_id], ["registration", "p-mapped"]);
      await page.setViewportSize({ width: 1280, height: 800 });
      await screenshot(page, `console-operator-edit-${engine}`);
      await page.setViewportSize({ width: 390, height: 800 });
      await screenshot(page, `console-operator-edit-390-${engine}`);
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    test("a new secret is shown once; the old one verifies until retired", async () => {
      await page.goto(editUrl());
      await submit(page, "Issue a new secret");
      const secret = (await page.locator("#new-secret").textContent())!;
      assert.match(secret, /^whsec_/);
      assert.equal(await page.locator(".secrets li").count(), 2);
      await screenshot(page, `console-operator-new-secret-${engine}`);
      await page.goto(editUrl());
      assert.equal(await page.locator("#new-secret").count(), 0, "shown once");
      assert.ok(!(await page.content()).includes(secret), "never again");
      const stats = [world.secret, secret].map((s) =>
        postback(t.url, world.operator.key, registration(s, [["program_id", String(world.program.id)]])),
      );
      for (const answer of await Promise.all(stats)) expectStatus(answer, 200, "accepted");

      await submit(page, `Retire secret ${secretFingerprint(world.secret)}`);
      assert.match((await page.locator(".created").textContent())!, /Secret retired/);
      expectStatus(
        await postback(t.url, world.operator.key, registration(world.secret)),
        401,
        "invalid_signature",
      );
      expectStatus(await postback(t.url, world.operator.key, registration(secret)), 200, "accepted");
      world = { ...world, secret };
    });

    test("static token: issued (shown once) with the allowlist in force, then removed", async () => {
      await page.goto(editUrl());
      await submit(page, "Issue a static token");
      const token = (await page.locator("#new-secret").textContent())!;
      assert.match(token, /^pwt_/);
      const withToken = registration(world.secret, [["token", token]]);
      expectStatus(await postback(t.url, world.operator.key, withToken), 200, "accepted");
      expectStatus(
        await postback(t.url, world.operator.key, registration(world.secret)),
        401,
        "invalid_token",
      );
      await page.goto(editUrl());
      assert.ok(!(await page.content()).includes(token), "shown once");
      await submit(page, "Remove the static token");
      assert.match((await page.locator(".created").textContent())!, /Static token removed/);
      assert.equal((await admin("GET", `/v1/operators/${world.operator.id}`)).body.auth.static_token, false);

      // Without an allowlist a token is refused, the use case's message on the card.
      await page.locator("#settings-ip_allowlist").fill("");
      await submit(page, "Save settings");
      await submit(page, "Issue a static token");
      assert.match(
        (await page.locator("#token-h + p.error").textContent())!,
        /only allowed together with an IP allowlist/,
      );
    });
  });
}

describe("operator Integration page (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let browser: Browser;
  let acme: World;
  let other: World;
  let dir: string;

  before(async () => {
    t = await startTestService("sqlite");
    browser = await launchBrowser();
    acme = await createWorld(t, "Acme");
    other = await createWorld(t, "Other");
    dir = mkdtempSync(path.join(tmpdir(), "postwire-integration-page-"));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const integrationUrl = (w: World) => `${t.url}/operators/${w.operator.id}/integration`;

  test("the template in each syntax; a sender copied from the page is accepted; the postback listed", async () => {
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/setup`);
    await page.getByRole("link", { name: "Integration of Acme", exact: true }).click();
    await page.waitForURL(integrationUrl(acme));
    for (const syntax of MACRO_SYNTAXES) {
      await page.goto(`${integrationUrl(acme)}?syntax=${syntax}`);
      const url = (await page.locator("#template-url").textContent())!;
      assert.ok(url.includes(`txid=${macroPlaceholder("txid", syntax)}`), `${syntax}: ${url}`);
      assert.ok(url.includes(`sig=${macroPlaceholder("sig", syntax)}`));
    }
    await page.locator("#method").selectOption("POST");
    await page.waitForURL(/method=POST/);
    assert.match((await page.locator("#template-body").textContent())!, /"txid":"\{\{txid\}\}"/);
    assert.ok(!(await page.content()).includes(acme.secret), "no secret on the page");

    // The Python sender as the page shows it, pointed at this test service.
    const source = (await page.locator("#snippet-python").textContent())!;
    const file = path.join(dir, "sender.py");
    writeFileSync(file, source.replace(/http:\/\/localhost:\d+/, t.url));
    const run = await runCommand(["python3", file], [], { POSTWIRE_SECRET: acme.secret });
    assert.match(run.stdout, /^200 .*"code": ?"accepted"/);

    await page.reload();
    const latest = page.locator("table", { hasText: "Latest postbacks" }).locator("tbody tr").first();
    assert.match((await latest.textContent())!, /test-1001/);
    await latest.getByRole("link").click();
    await page.waitForURL(/\/requests\/rq_/);
    await page.goto(integrationUrl(acme));
    assert.match(
      (await page.locator("#programs-h + section").textContent())!,
      /Acme Casino[\s\S]*checks to go/,
    );
    await screenshot(page, "console-operator-integration");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-operator-integration-390");
  });

  test("an operator key: its own page from the nav, not another's, no edit page; forged forms refused", async () => {
    const page = await signedInPage(
      browser,
      t.url,
      await t.key("operator", { operatorId: acme.operator.id }),
    );
    await page.getByRole("link", { name: "Integration" }).click();
    await page.waitForURL(integrationUrl(acme));
    assert.equal(await page.locator("h1").textContent(), "Integration: Acme");
    assert.equal((await page.goto(integrationUrl(other)))?.status(), 404);
    assert.equal((await page.goto(`${t.url}/setup/operators/${acme.operator.id}`))?.status(), 403);

    // Its own mapping, from its page (the API lets the operator's key replace it); not another's.
    await page.goto(integrationUrl(acme));
    await page.getByText("Change the parameter and value mapping").click();
    await page.locator("#mapping-param_click_id").fill("token");
    await submit(page, "Save mapping");
    assert.equal(await page.locator("#mapping-param_click_id").getAttribute("aria-invalid"), "true");
    await page.locator("#mapping-param_click_id").fill("btag");
    await submit(page, "Save mapping");
    assert.match((await page.locator(".created").textContent())!, /Mapping saved/);
    assert.match((await page.locator("table.params").textContent())!, /btag\s*for click_id/);
    const csrf = await page.locator("input[name=csrf]").first().inputValue();
    const foreign = await page.request.post(`${t.url}/operators/${other.operator.id}/mapping`, {
      form: { csrf, param_click_id: "stolen" },
    });
    assert.equal(foreign.status(), 404);
    const admin = client(t.url, t.adminKey);
    assert.deepEqual((await admin("GET", `/v1/operators/${other.operator.id}`)).body.mapping.params, {});
    assert.deepEqual((await admin("GET", `/v1/operators/${acme.operator.id}`)).body.mapping.params, {
      btag: "click_id",
    });

    const adminPage = await signedInPage(browser, t.url, t.adminKey);
    const forged = await adminPage.request.post(`${t.url}/setup/operators/${acme.operator.id}/secrets`, {
      form: { csrf: "nope" },
    });
    assert.equal(forged.status(), 403);
    const operator = await admin("GET", `/v1/operators/${acme.operator.id}`);
    assert.equal(operator.body.auth.hmac_secrets.length, 1);
  });
});
