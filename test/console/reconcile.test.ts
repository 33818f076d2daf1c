/**
 * Reconciliation in the browser (real Chromium, real service): a crafted CSV with every category
 * uploaded through the page, the counts and the summary per day right, the differences named with
 * a link to the conversion's timeline, a category downloaded as CSV, a backfill of a selection and
 * then of all (confirmed first; the third changes nothing and says so). An operator key cannot open
 * another operator's run by URL; an upload without the CSRF token before the file stores nothing.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import {
  type Call,
  click,
  client,
  createWorld,
  expectStatus,
  postback,
  signedQuery,
  txid,
  type World,
} from "../adapters/http/admin-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot, signedInPage } from "../helpers/browser.ts";
import { ftdOf } from "../helpers/event-pairs.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

const DAY1 = "2026-11-01T10:00:00Z";
const DAY2 = "2026-11-02T09:30:00Z";
const line = (cells: readonly string[]) => `${cells.join(",")}\r\n`;

describe("reconciliation pages (chromium, sqlite)", { skip: browserMissing }, () => {
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

  async function submit(page: Page, name: string | RegExp) {
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name }).click()]);
  }

  /** Live events received, and a file with one row or more of every category. */
  async function crafted() {
    const world = await createWorld(t, `Rc${Math.random().toString(36).slice(2, 7)}`);
    const cid = await click(t, world);
    const tx = { matched: txid(), mismatched: txid(), extra: txid(), a: txid(), b: txid(), c: txid() };
    const ftd = ftdOf(cid);
    for (const pairs of [
      ftd(tx.matched, "50.00", "p1", DAY1),
      ftd(tx.mismatched, "50.00", "p2", DAY1),
      [
        ["event", "registration"],
        ["txid", tx.extra],
        ["click_id", cid],
        ["occurred_at", DAY2],
      ] as Array<[string, string]>,
    ])
      expectStatus(
        await postback(t.url, world.operator.key, signedQuery(world.secret, pairs)),
        200,
        "accepted",
      );
    const csv = [
      line(["event", "txid", "click_id", "player_id", "amount", "currency", "occurred_at", "test"]),
      line(["ftd", tx.matched, cid, "p1", "50.00", "EUR", DAY1, ""]),
      line(["ftd", tx.mismatched, cid, "p9", "60.00", "EUR", DAY1, ""]),
      line(["ftd", tx.a, cid, "p4", "40.00", "EUR", DAY2, ""]),
      line(["registration", tx.b, cid, "", "", "", DAY2, ""]),
      line(["registration", tx.c, cid, "", "", "", DAY1, ""]),
      line(["ftd", tx.matched, cid, "p1", "50.00", "EUR", DAY1, ""]), // line 7: duplicate
      line(["ftd", txid(), cid, "p5", "12.345", "EUR", DAY1, ""]), // line 8: 3 decimals in EUR
      line(["ftd", txid(), cid, "p7", "1.00", "EUR", DAY1, "1"]), // test event
    ].join("");
    return { world, tx, csv };
  }

  const conversionsOf = async (w: World, id: string) =>
    (
      (await admin("GET", `/v1/conversions?operator_id=${w.operator.id}&limit=1000`)).body.data as Array<
        Record<string, unknown>
      >
    ).filter((c) => c["txid"] === id);
  const runsOf = async (w: World) =>
    (await admin("GET", `/v1/reconciliations?operator_id=${w.operator.id}`)).body.data as unknown[];
  const figure = async (page: Page, category: string) =>
    (await page.locator(`[data-category="${category}"]`).textContent())?.trim();

  test("upload a crafted CSV, read every category, download one, backfill a selection then all", async () => {
    const { world, tx, csv } = await crafted();
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.getByRole("link", { name: "Reconcile" }).click();
    await page.waitForURL(`${t.url}/reconciliations`);

    const fill = async (from: string, to: string) => {
      await page.locator("#upload-operator_id").selectOption(String(world.operator.id));
      await page.locator("#upload-from").fill(from);
      await page.locator("#upload-to").fill(to);
      await page.locator("#upload-file").setInputFiles({
        name: "november.csv",
        mimeType: "text/csv",
        buffer: Buffer.from(csv),
      });
    };
    // A refused form: the error next to its field, the values kept, no run stored.
    await fill("2026-11-03", "2026-11-01");
    await submit(page, "Upload and compare");
    assert.equal(await page.locator("#upload-from").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#upload-to").inputValue(), "2026-11-01");
    assert.deepEqual(await runsOf(world), []);

    await fill("2026-11-01", "2026-11-03");
    await submit(page, "Upload and compare");
    assert.match(page.url(), /\/reconciliations\/rc/);
    const runId = page.url().split("/").at(-1)!;
    const expected = { matched: 1, mismatched: 1, missing: 3, extra: 1, duplicate: 1, malformed: 1, test: 1 };
    for (const [category, n] of Object.entries(expected))
      assert.equal(await figure(page, category), String(n), category);
    // The summary per UTC day and event type.
    const day2ftd = page
      .locator("table.summary tbody tr", { hasText: "2026-11-02" })
      .filter({ hasText: "ftd" });
    const cells = await day2ftd.locator("td").allTextContents();
    // day, event, then matched, missing, extra, mismatched, malformed, duplicate, test
    assert.deepEqual(cells, ["2026-11-02", "ftd", "0", "1", "0", "0", "0", "0", "0"]);
    const day1reg = page
      .locator("table.summary tbody tr", { hasText: "2026-11-01" })
      .filter({ hasText: "registration" });
    assert.equal((await day1reg.locator("td").allTextContents())[3], "1", "missing registration on day 1");
    assert.match((await page.locator(".facts").textContent())!, /[0-9a-f]{64}/);

    // Mismatches first: each difference named, the conversion's timeline linked for the adjustment.
    const [received] = await conversionsOf(world, tx.mismatched);
    const mismatch = page.locator("table.rows tbody tr");
    assert.equal(await mismatch.count(), 1);
    const text = (await mismatch.textContent())!;
    assert.match(text, /amount: file 60\.00, received 50\.00/);
    assert.match(text, /player_id: file p9, received p2/);
    assert.equal(
      await mismatch.getByRole("link", { name: String(received!["id"]) }).getAttribute("href"),
      `/conversions/${received!["id"]}`,
    );
    await screenshot(page, "console-reconciliation-1280");
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-reconciliation-390");
    await page.setViewportSize({ width: 1280, height: 800 });

    // Malformed rows with their line.
    await page.getByRole("link", { name: /^malformed/ }).click();
    await page.waitForURL(/category=malformed/);
    const malformed = await page.locator("table.rows tbody tr td").allTextContents();
    assert.equal(malformed[0], "8", "its line");
    assert.match(malformed.at(-1)!, /^line 8: .*decimal/i);

    // A category's CSV, downloaded through the page with the session.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the malformed rows (CSV)" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${runId}-malformed.csv`);
    const lines = (await readFile((await download.path())!, "utf8")).trimEnd().split("\r\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^seq,category,line,txid/);
    assert.match(lines[1]!, /,malformed,8,/);

    // Backfill a selection: confirmed first, then the result shown.
    await page.getByRole("link", { name: /^missing/ }).click();
    await page.waitForURL(/category=missing/);
    await page.getByLabel(`Select ${tx.a}`).check();
    await submit(page, "Backfill the selected rows…");
    assert.match(
      (await page.locator("main").textContent())!,
      new RegExp(`Backfill 1 selected rows\\?[\\s\\S]*${tx.a}`),
    );
    assert.deepEqual(await conversionsOf(world, tx.a), [], "nothing before the confirmation");
    await submit(page, "Confirm the backfill");
    assert.match((await page.locator("#backfill-result").textContent())!, /1 row ingested[\s\S]*accepted: 1/);
    assert.equal((await conversionsOf(world, tx.a)).length, 1);
    assert.deepEqual(await conversionsOf(world, tx.b), []);
    assert.equal(await page.getByLabel(`Select ${tx.a}`).count(), 0, "a settled row cannot be ticked again");
    await screenshot(page, "console-reconciliation-backfill-1280");

    // All: the two left are ingested, the first left alone.
    await submit(page, "Backfill all 3 missing rows…");
    await submit(page, "Confirm the backfill");
    assert.match(
      (await page.locator("#backfill-result").textContent())!,
      /2 rows ingested[\s\S]*accepted: 2[\s\S]*1 left alone/,
    );
    // Once more: nothing changes, and the page says so.
    await submit(page, "Backfill all 3 missing rows…");
    await submit(page, "Confirm the backfill");
    assert.match(
      (await page.locator("#backfill-result").textContent())!,
      /nothing changed[\s\S]*3 rows asked for had been settled/,
    );
    for (const id of [tx.a, tx.b, tx.c]) assert.equal((await conversionsOf(world, id)).length, 1, id);
    assert.equal(await page.locator("table.backfills tbody tr").count(), 3);
    const kept = await admin("GET", `/v1/reconciliations/${runId}/backfills`);
    assert.deepEqual(
      kept.body.data.map((b: { attempted: number; already_done: number }) => [b.attempted, b.already_done]),
      [
        [0, 3],
        [2, 1],
        [1, 0],
      ],
    );
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, "console-reconciliation-backfill-390");
    await page.goto(`${t.url}/reconciliations`);
    await screenshot(page, "console-reconciliations-390");
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, "console-reconciliations-1280");
    assert.equal(await page.locator("table.runs tbody tr", { hasText: runId }).count(), 1);
  });

  test("an operator key: its own operator fixed, another operator's run is not found by URL", async () => {
    const mine = await crafted();
    const other = await crafted();
    const theirs = await fetch(
      `${t.url}/v1/reconciliations?operator_id=${other.world.operator.id}&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "text/csv" },
        body: other.csv,
      },
    );
    assert.equal(theirs.status, 201);
    const theirRun = ((await theirs.json()) as { id: string }).id;

    const page = await signedInPage(
      browser,
      t.url,
      await t.key("operator", { operatorId: mine.world.operator.id }),
    );
    await page.goto(`${t.url}/reconciliations`);
    assert.equal(await page.locator("#upload-operator_id").count(), 0, "no operator to choose");
    assert.equal(await page.locator("table.runs tbody tr", { hasText: theirRun }).count(), 0);
    await page.locator("#upload-from").fill("2026-11-01");
    await page.locator("#upload-to").fill("2026-11-03");
    await page.locator("#upload-file").setInputFiles({
      name: "mine.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(mine.csv),
    });
    await submit(page, "Upload and compare");
    assert.match(page.url(), /\/reconciliations\/rc/);
    assert.equal((await runsOf(mine.world)).length, 1);

    for (const path of [
      `/reconciliations/${theirRun}`,
      `/reconciliations/${theirRun}/rows.csv?category=missing`,
    ]) {
      const response = await page.goto(`${t.url}${path}`);
      assert.equal(response?.status(), 404, path);
    }
    await page.goto(`${t.url}/reconciliations`);
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute("value");
    const backfill = await page.request.post(`${t.url}/reconciliations/${theirRun}/backfill`, {
      form: { csrf: csrf!, all: "1", confirm: "1" },
    });
    assert.equal(backfill.status(), 404);
    assert.deepEqual(await conversionsOf(other.world, other.tx.a), []);
  });

  test("an upload without the CSRF token before the file is refused and stores nothing", async () => {
    const { world, csv } = await crafted();
    const page = await signedInPage(browser, t.url, t.adminKey);
    await page.goto(`${t.url}/reconciliations`);
    const csrf = (await page.locator('input[name="csrf"]').first().getAttribute("value"))!;
    const file = { name: "f.csv", mimeType: "text/csv", buffer: Buffer.from(csv) };
    const fields = {
      operator_id: String(world.operator.id),
      from: "2026-11-01",
      to: "2026-11-03",
      format: "csv",
    };
    const post = (multipart: Record<string, string | typeof file>) =>
      page.request.post(`${t.url}/reconciliations`, { multipart, maxRedirects: 0 });
    assert.equal((await post({ ...fields, file })).status(), 403, "no token");
    assert.equal((await post({ csrf: "forged", ...fields, file })).status(), 403, "a wrong token");
    assert.equal((await post({ ...fields, file, csrf })).status(), 403, "the token after the file");
    assert.deepEqual(await runsOf(world), [], "nothing stored");
    // The same form with the token first is taken: the fields before the file are read first.
    const taken = await post({ csrf, ...fields, file });
    assert.equal(taken.status(), 303);
    assert.equal((await runsOf(world)).length, 1);
    // Multipart is the upload's alone: another console form refuses it (formbody, 16 KB, only).
    const operators = (await admin("GET", "/v1/operators?limit=1000")).body.data.length;
    const other = await page.request.post(`${t.url}/setup/operators`, {
      multipart: { csrf, name: "Multipart" },
      maxRedirects: 0,
    });
    // 400/415 (no parser for multipart here), not 403 (a parser that would leave the token unread)
    assert.ok([400, 415].includes(other.status()), String(other.status()));
    assert.equal((await admin("GET", "/v1/operators?limit=1000")).body.data.length, operators);
  });
});
