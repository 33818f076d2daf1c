/**
 * The request-log explorer, an entry's detail page and a program's failures in real headless
 * Chromium against the real service, seeded through the real HTTP postback endpoint: filters
 * narrow the list, hostile text from operators is inert, roles see only their own (404 otherwise),
 * replay forms need their CSRF token, and a dead delivery replayed shows its new state.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openDriver } from "../../src/adapters/storage/open-driver.ts";
import type { SqlDriver } from "../../src/adapters/storage/sql-driver.ts";
import { type Receiver, startReceiver } from "../adapters/delivery/delivery-kit.ts";
import {
  type Call,
  click,
  client,
  createWorld,
  expectStatus,
  signedQuery,
  type World,
} from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

const SCRIPT = `<script>alert("x")</script>`;
const IMG = `"><img src=x onerror=alert(1)>`;
const JS_URL = "javascript:alert(document.cookie)";

/** Waits (a bounded number of short turns) until `condition` holds: the dispatcher runs on its own. */
async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let turn = 0; turn < 500; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/** Sends a GET postback with extra request headers; returns the HTTP status. */
async function send(t: TestService, world: World, params: Array<[string, string]>, headers = {}) {
  const query = signedQuery(world.secret, params);
  const response = await fetch(`${t.url}/v1/postback/${world.operator.key}?${query}`, { headers });
  await response.text();
  return response.status;
}

describe("console request log and failures (chromium, sqlite)", { skip: browserMissing }, () => {
  let t: TestService;
  let admin: Call;
  let a: World;
  let b: World;
  let browser: Browser;
  let db: SqlDriver;
  let receiver: Receiver;
  const keys: Record<string, string> = {};
  let dead = "";
  let failing = "";
  let endpointId = 0;
  /** The request-log id of the hostile rejected request. */
  let hostileId = "";

  before(async () => {
    t = await startTestService("sqlite", { DELIVERY_ALLOW: "127.0.0.1" });
    admin = client(t.url, t.adminKey);
    a = await createWorld(t, "Alpha");
    b = await createWorld(t, "Beta");
    receiver = await startReceiver([{ status: 500 }]);
    const endpoint = await admin("POST", "/v1/endpoints", {
      affiliate_id: a.affiliate.id,
      url_template: `${receiver.url}/pb?c={click_id}`,
    });
    expectStatus(endpoint, 201);
    endpointId = endpoint.body.id;
    const ftd = (txid: string, clickId: string): Array<[string, string]> => [
      ["event", "ftd"],
      ["txid", txid],
      ["click_id", clickId],
      ["amount", "25.00"],
      ["currency", "EUR"],
    ];
    assert.equal(await send(t, a, ftd("a-ftd-1", await click(t, a))), 200);
    assert.equal(await send(t, a, ftd("a-ftd-2", await click(t, a))), 200);
    assert.equal(
      await send(t, a, ftd("a-ftd-2", await click(t, a))),
      409,
      "same txid, other click: conflict",
    );
    assert.equal(
      await send(t, a, [
        ["event", "registration"],
        ["txid", "a-unattributed"],
        ["click_id", "no-such-click"],
        ["sub_id", SCRIPT],
      ]),
      200,
    );
    // Rejected, with hostile text in the txid, a parameter, the sub id and the user agent.
    assert.equal(
      await send(
        t,
        a,
        [
          ["event", "no_such_event"],
          ["txid", `x${IMG}`],
          ["click_id", await click(t, a)],
          ["sub_id", SCRIPT],
          ["landing", JS_URL],
        ],
        { "user-agent": `${SCRIPT}${IMG}` },
      ),
      400,
    );
    assert.equal(
      await send(t, b, [
        ["event", "registration"],
        ["txid", "b-1"],
        ["click_id", await click(t, b)],
      ]),
      200,
    );

    const hostile = await admin("GET", `/v1/request-log?program_id=${a.program.id}&code=unknown_event_type`);
    hostileId = hostile.body.data[0].id;
    db = openDriver(t.databaseUrl);
    // Both deliveries tried once and refused by the receiver; then the endpoint is disabled, so the
    // dispatcher leaves this test's rows alone (they wait, paused, or are not due).
    await eventually("both deliveries attempted once", async () => {
      const rows = await db.all("SELECT id FROM deliveries WHERE attempts >= 1 AND locked_by IS NULL");
      return rows.length === 2;
    });
    expectStatus(await admin("PATCH", `/v1/endpoints/${endpointId}`, { status: "disabled" }), 200);
    const deliveries = await admin("GET", `/v1/deliveries?endpoint_id=${endpointId}`);
    assert.equal(deliveries.body.data.length, 2, "one delivery per accepted ftd");
    [dead, failing] = deliveries.body.data.map((d: { id: string }) => d.id);
    // What the dispatcher leaves after more failed attempts: one retrying, one out of attempts.
    await db.run(
      "UPDATE deliveries SET state = 'dead', attempts = 8, last_status = 500, last_error = 'HTTP 500' WHERE id = ?",
      [dead],
    );
    await db.run(
      "UPDATE deliveries SET state = 'pending', attempts = 2, last_error = 'timeout', run_at = ? WHERE id = ?",
      [Date.now() + 86_400_000, failing],
    );
    keys["admin"] = t.adminKey;
    keys["operatorA"] = await t.key("operator", { operatorId: a.operator.id });
    keys["operatorB"] = await t.key("operator", { operatorId: b.operator.id });
    keys["affiliateA"] = await t.key("affiliate", { affiliateId: a.affiliate.id });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await db?.close();
    await receiver?.close();
    await t?.close();
  });

  async function signIn(who: string) {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel("API key").fill(keys[who]!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${t.url}/`);
    return page;
  }

  /** The txid column of the results table. */
  async function shownTxids(page: import("playwright-core").Page): Promise<string[]> {
    return (await page.locator("table.requests tbody tr td:nth-child(7)").allTextContents()).sort();
  }

  /** The txids the API lists for the same filter. */
  async function apiTxids(query: string): Promise<string[]> {
    const reply = await admin("GET", `/v1/request-log?${query}&limit=1000`);
    return reply.body.data.map((r: { txid: string | null }) => r.txid ?? "").sort();
  }

  test("filters narrow the list, as the API does; the URL can be shared", async () => {
    const page = await signIn("admin");
    await page.getByRole("link", { name: "Requests" }).click();
    await page.waitForURL(`${t.url}/requests`);
    assert.equal((await shownTxids(page)).length, (await apiTxids("")).length);
    assert.match((await page.locator("caption").textContent()) ?? "", /times in UTC/);

    // Keyboard only: choose an outcome and submit with Enter.
    await page.getByLabel("Outcome").selectOption("rejected");
    await page.getByLabel("txid").focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/outcome=rejected/);
    const rejected = await shownTxids(page);
    assert.deepEqual(rejected, await apiTxids("outcome=rejected"));
    assert.deepEqual(rejected, ["a-ftd-2", `x${IMG}`].sort(), "the conflict and the bad event");

    await page.getByLabel("Program").selectOption(String(a.program.id));
    await page.getByLabel("Outcome").selectOption("accepted");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=accepted/);
    assert.deepEqual(await shownTxids(page), ["a-ftd-1", "a-ftd-2"]);

    await page.goto(`${t.url}/requests?status=200&operator=${b.operator.id}`);
    assert.deepEqual(await shownTxids(page), ["b-1"]);
    await page.goto(`${t.url}/requests?program=${a.program.id}&outcome=unattributed`);
    assert.deepEqual(await shownTxids(page), ["a-unattributed"]);
    await page.goto(`${t.url}/requests?outcome=lost`);
    assert.match((await page.getByRole("alert").textContent()) ?? "", /outcome must be one of/);

    await page.goto(`${t.url}/requests?program=${a.program.id}`);
    await screenshot(page, "console-requests");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "console-requests-phone");
    await page.close();
  });

  test("the detail page shows the raw request, answer and fix as inert text", async () => {
    const page = await signIn("admin");
    await page.goto(`${t.url}/requests?code=unknown_event_type`);
    await page
      .getByRole("link", { name: /Details/ })
      .first()
      .click();
    await page.waitForURL(`${t.url}/requests/${hostileId}`);
    const raw = (await page.locator("pre.raw").first().textContent()) ?? "";
    assert.ok(raw.includes(`"user-agent": ${JSON.stringify(`${SCRIPT}${IMG}`)}`), raw);
    assert.match(raw, /sig=\[redacted\]/);
    const answer = (await page.locator("pre.raw").nth(1).textContent()) ?? "";
    assert.equal(JSON.parse(answer).code, "unknown_event_type");
    assert.ok((await page.locator(".fix").textContent())?.trim(), "the fix text for its code");
    assert.equal(
      await page.getByRole("cell", { name: SCRIPT, exact: true }).count(),
      1,
      "sub_id decoded, as text",
    );
    assert.equal(await page.getByRole("cell", { name: JS_URL, exact: true }).count(), 1);
    assert.equal(await page.locator("main script, main img, a[href^='javascript']").count(), 0);
    await screenshot(page, "console-request-detail");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "console-request-detail-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    // An accepted request links to the conversion it created.
    await page.goto(`${t.url}/requests?txid=a-ftd-1&outcome=accepted`);
    await page.getByRole("link", { name: /Details/ }).click();
    await page.getByRole("link", { name: /^cv/ }).click();
    assert.match(page.url(), /#conversion$/);
    assert.match((await page.locator("#conversion").textContent()) ?? "", /a-ftd-1[\s\S]*25\.00 EUR/);
    await page.close();
  });

  test("another tenant's entry or program failures are not found", async () => {
    const b1 = (await admin("GET", `/v1/request-log?operator_id=${b.operator.id}`)).body.data[0].id;
    const paths = [`/requests/${hostileId}`, `/programs/${a.program.id}/failures`];
    for (const who of ["operatorB", "affiliateA"]) {
      const page = await signIn(who);
      for (const path of paths) {
        const response = await page.goto(`${t.url}${path}`);
        assert.equal(response?.status(), 404, `${who} ${path}`);
      }
      await page.close();
    }
    const own = await signIn("operatorA");
    assert.equal((await own.goto(`${t.url}/requests/${hostileId}`))?.status(), 200);
    assert.equal((await own.goto(`${t.url}/requests/${b1}`))?.status(), 404);
    assert.equal((await own.goto(`${t.url}/programs/${a.program.id}/failures`))?.status(), 200);
    assert.equal(await own.getByRole("button", { name: /Replay/ }).count(), 0, "operators see no deliveries");
    for (const bad of ["0", "01", "1e3", "abc"]) {
      const response = await own.goto(`${t.url}/programs/${bad}/failures`);
      assert.equal(response?.status(), 404, `program id ${bad}`);
      assert.match((await own.locator("main").textContent()) ?? "", /This page was not found/);
    }
    await own.goto(`${t.url}/requests?program=${b.program.id}`);
    assert.equal(await own.locator("table.requests tbody tr").count(), 0);
    await own.close();
  });

  test("a replay without its CSRF token is refused and replays nothing", async () => {
    const page = await signIn("admin");
    await page.goto(`${t.url}/programs/${a.program.id}/failures`);
    for (const form of [{}, { csrf: "forged" }]) {
      const refused = await page.request.post(`${t.url}/deliveries/${dead}/replay`, {
        form: { ...form, return_to: "/" } as Record<string, string>,
        maxRedirects: 0,
      });
      assert.equal(refused.status(), 403);
      const ranged = await page.request.post(`${t.url}/endpoints/${endpointId}/replay-dead`, {
        form: { ...form, since: "2000-01-01T00:00", until: "2100-01-01T00:00" } as Record<string, string>,
        maxRedirects: 0,
      });
      assert.equal(ranged.status(), 403);
    }
    const [row] = await db.all("SELECT state, attempts FROM deliveries WHERE id = ?", [dead]);
    assert.deepEqual({ ...row }, { state: "dead", attempts: 8 });
    await page.close();
  });

  test("replaying a dead delivery, one or all in a range, shows its new state", async () => {
    const page = await signIn("admin");
    await page.goto(`${t.url}/programs/${a.program.id}/failures`);
    const failures = page.locator("table.failures tbody tr");
    assert.equal(await failures.count(), 3, "the conflict, the bad event and the unattributed one");
    assert.ok(await page.locator("table.deliveries").filter({ hasText: failing }).count());
    assert.equal(await page.locator("main script, main img").count(), 0);
    await screenshot(page, "console-program-failures");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "console-program-failures-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("button", { name: `Replay delivery ${dead}` }).click();
    await page.waitForURL(`${t.url}/programs/${a.program.id}/failures`);
    assert.match(
      (await page.getByRole("status").textContent()) ?? "",
      new RegExp(`${dead} replayed: now pending`),
    );
    const [row] = await db.all("SELECT state, attempts FROM deliveries WHERE id = ?", [dead]);
    assert.deepEqual({ ...row }, { state: "pending", attempts: 0 });
    assert.equal(
      await page.getByRole("button", { name: `Replay delivery ${dead}` }).count(),
      0,
      "no longer dead, nor failing until an attempt fails",
    );
    await page.reload();
    assert.equal(await page.getByRole("status").count(), 0, "the message is shown once");

    await db.run("UPDATE deliveries SET state = 'dead' WHERE id = ?", [dead]);
    await page.reload();
    await page.getByRole("button", { name: `Replay all dead of endpoint ${endpointId}` }).click();
    await page.waitForURL(`${t.url}/programs/${a.program.id}/failures`);
    assert.match(
      (await page.getByRole("status").textContent()) ?? "",
      /1 dead delivery of endpoint \d+ replayed/,
    );
    const [again] = await db.all("SELECT state FROM deliveries WHERE id = ?", [dead]);
    assert.equal(again?.["state"], "pending");
    await page.close();
  });
});

describe("console request log: paging, time range in the viewer's zone, CSV (chromium, sqlite)", {
  skip: browserMissing,
}, () => {
  const HOUR = 3_600_000;
  // As the runtime names it (CLDR keeps the older spelling), and so the console offers it.
  const ZONE = "Asia/Katmandu";
  let offset = 0;
  const start = Date.now() - 6 * HOUR;
  const clock = { now: () => start + offset };
  let t: TestService;
  let c: World;
  let browser: Browser;
  const early: string[] = [];
  const late: string[] = [];

  before(async () => {
    t = await startTestService("sqlite", {}, clock);
    c = await createWorld(t, "Gamma");
    // 30 requests at the start, 25 two hours later (signed at the service's time).
    for (let i = 0; i < 55; i++) {
      if (i === 30) offset += 2 * HOUR;
      const txid = `p-${String(i).padStart(2, "0")}`;
      (i < 30 ? early : late).push(txid);
      const query = signedQuery(
        c.secret,
        [
          ["event", "registration"],
          ["txid", txid],
        ],
        Math.floor(clock.now() / 1000),
      );
      const response = await fetch(`${t.url}/v1/postback/${c.operator.key}?${query}`);
      assert.equal(response.status, 200, await response.text());
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test("pages follow each other without gaps; a range typed in the viewer's zone; the CSV is every row", async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/sign-in`);
    await page.getByLabel("API key").fill(t.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${t.url}/`);
    // The viewer's choice, as the footer's form stores it (that form is tested in sign-in.test.ts).
    await page.context().addCookies([{ name: "pw_tz", value: ZONE, url: t.url }]);
    await page.goto(`${t.url}/requests?operator=${c.operator.id}`);
    assert.match((await page.locator("caption").textContent()) ?? "", new RegExp(`times in ${ZONE}`));
    const txidsShown = async () => page.locator("table.requests tbody tr td:nth-child(7)").allTextContents();
    const first = await txidsShown();
    assert.equal(first.length, 50);
    await page.getByRole("link", { name: "Older requests" }).click();
    const second = await txidsShown();
    assert.equal(await page.getByRole("link", { name: "Older requests" }).count(), 0, "the last page");
    assert.deepEqual([...first, ...second].sort(), [...early, ...late].sort(), "every request once");
    await page.getByRole("link", { name: "Newest" }).click();
    assert.deepEqual(await txidsShown(), first);

    // From one hour after the first batch, as the wall clock in Kathmandu reads it.
    const { localOfEpoch } = await import("../../src/console/zoned-time.ts");
    await page.getByLabel(`From (${ZONE})`).fill(localOfEpoch(start + HOUR, ZONE));
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/since=/);
    assert.deepEqual((await txidsShown()).sort(), late);
    await page.getByLabel(`From (${ZONE})`).fill("");
    await page.getByLabel(`Until (${ZONE})`).fill(localOfEpoch(start + HOUR, ZONE));
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/until=/);
    assert.deepEqual((await txidsShown()).sort(), early);

    await page.goto(`${t.url}/requests?operator=${c.operator.id}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "request-log.csv");
    const { readFile } = await import("node:fs/promises");
    const lines = (await readFile((await download.path())!, "utf8")).split("\r\n").filter(Boolean);
    assert.match(lines[0]!, /^id,received_at,/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((line) => line.split(",")[9])
        .sort(),
      [...early, ...late].sort(),
    );
    await page.close();
  });
});
