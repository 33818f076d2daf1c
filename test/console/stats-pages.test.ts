/**
 * The overview, program dashboard and reports pages in real headless Chromium against the real
 * service: seeded traffic shows with the right figures, charts draw under the strict CSP, names
 * from outside stay inert text, another tenant's program or report is a 404 (URL tampering), and
 * the CSV download is exactly the table shown. Screenshots go to test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { expectStatus, type World } from "../adapters/http/admin-kit.ts";
import {
  addPlan,
  type Bench,
  CPA,
  clickOf,
  ev,
  send,
  sendRaw,
  startBench,
  worldOf,
} from "../adapters/http/commissions-kit.ts";
import { type Browser, browserMissing, launchBrowser, screenshot } from "../helpers/browser.ts";

const HOSTILE = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`;
const JS_URL = "javascript:alert(1)";

/** RFC 4180 text into rows of cells (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

describe("console stats pages (chromium, sqlite)", { skip: browserMissing }, () => {
  let b: Bench;
  let a: World;
  let other: World;
  let browser: Browser;
  const keys: Record<string, string> = {};

  before(async () => {
    b = await startBench("sqlite");
    a = await worldOf(b, "igaming");
    other = await worldOf(b, "igaming");
    expectStatus(await b.admin("PATCH", `/v1/programs/${a.program.id}`, { name: HOSTILE }), 200);
    expectStatus(await b.admin("PATCH", `/v1/affiliates/${a.affiliate.id}`, { name: JS_URL }), 200);
    await addPlan(b, a, { cpa: CPA, holdDays: 7 });
    for (let i = 0; i < 2; i++) {
      const pairs = ev("ftd", {
        click_id: await clickOf(b, a),
        player_id: `p${i}`,
        amount: "50.00",
        currency: "EUR",
        sub_id: HOSTILE,
      });
      await send(b, a, pairs);
      if (i === 0) await send(b, a, pairs, "duplicate");
    }
    await send(b, a, ev("registration", { player_id: "nobody" }));
    expectStatus(await sendRaw(b, a, ev("bogus", { player_id: "x" })), 400, "unknown_event_type");
    await send(b, other, ev("registration", { click_id: await clickOf(b, other) }));
    keys["admin"] = await b.key("admin");
    keys["operatorB"] = await b.key("operator", { operatorId: other.operator.id });
    keys["affiliateB"] = await b.key("affiliate", { affiliateId: other.affiliate.id });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await b?.close();
  });

  async function signIn(who: string, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage(viewport);
    await page.context().clearCookies();
    await page.goto(`${b.url}/sign-in`);
    await page.getByLabel("API key").fill(keys[who]!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${b.url}/`);
    return page;
  }

  const inert = async (page: Page) => {
    assert.equal(await page.locator("main img, main script:not([type='application/json'])").count(), 0);
    assert.equal(await page.locator("a[href^='javascript']").count(), 0);
  };

  test("overview: every program worst first with its figures, names inert", async () => {
    const page = await signIn("admin");
    const row = page.locator("tbody tr", { has: page.getByRole("link", { name: HOSTILE }) });
    const cells = await row.locator("td").allTextContents();
    // Program, operator, then 24 h / 7 days: accepted, duplicate, rejected, unattributed, rate.
    // The refused "bogus" event counts under the operator's only program (the request log's).
    assert.deepEqual(cells.slice(2, 7), ["2 / 2", "1 / 1", "1 / 1", "1 / 1", "20 % / 20 %"]);
    assert.equal(await page.locator("tbody tr", { hasText: "no program known" }).count(), 0);
    assert.equal(
      await page.locator("tbody tr").first().getByRole("link", { name: HOSTILE }).count(),
      1,
      "the program with refusals (20 %) comes first",
    );
    assert.match((await page.locator("main time").first().textContent()) ?? "", / UTC$/);
    await inert(page);
    await screenshot(page, "console-overview");
    await page.close();
    const phone = await signIn("admin", { width: 390, height: 844 });
    await screenshot(phone, "console-overview-phone");
    await phone.close();
  });

  test("program page: totals, codes, charts drawn, the latest failures; another operator's is 404", async () => {
    const page = await signIn("admin");
    await page.goto(`${b.url}/programs/${a.program.id}?range=24h`);
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), HOSTILE);
    const totals = await page
      .locator("table", { hasText: "Totals over the range" })
      .locator("td")
      .allTextContents();
    assert.deepEqual(totals.slice(0, 5), ["2", "1", "1", "1", "0"]);
    const refused = page.locator("table", { hasText: "Rejected requests of this program by code" });
    assert.deepEqual(await refused.locator("tbody tr").first().locator("th, td").allTextContents(), [
      "unknown_event_type",
      "1",
      "0",
      "new",
    ]);
    assert.match(
      (await page
        .locator("section", { has: page.getByRole("heading", { name: "Rejected by code" }) })
        .textContent())!,
      /No requests of this operator were rejected before a program was known\./,
    );
    const reasons = page.locator("table", { hasText: "Unattributed events by reason" });
    assert.equal(await reasons.locator("tbody tr").count(), 1);
    // uPlot (served by the process) drew both charts from the JSON block, with no inline script.
    await page.locator(".chart .uplot").nth(1).waitFor();
    assert.equal(await page.locator(".chart .uplot canvas").count(), 2);
    // The failures section (program-failures.ts): its link to every rejected request of the program.
    const failures = page.locator("section", { has: page.getByRole("heading", { name: "Latest failures" }) });
    assert.equal(
      await failures
        .getByRole("link", { name: "All rejected requests of this program" })
        .getAttribute("href"),
      `/requests?program=${a.program.id}&outcome=rejected`,
    );
    await inert(page);
    await screenshot(page, "console-program");
    await page.close();

    const operator = await signIn("operatorB");
    const response = await operator.goto(`${b.url}/programs/${a.program.id}`);
    assert.equal(response?.status(), 404, "an operator opening another operator's program");
    assert.equal((await operator.goto(`${b.url}/programs/${other.program.id}`))?.status(), 200);
    await operator.close();
  });

  test("reports: the figures, the CSV is exactly the table; another affiliate's report is 404", async () => {
    const page = await signIn("admin");
    const day = (offset: number) => new Date(b.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${b.url}/reports?from=${day(-1)}&to=${day(1)}&group_by=day&program_id=${a.program.id}`);
    assert.match((await page.locator(".lead").textContent()) ?? "", /in UTC/);
    const table = page.locator("table.report");
    // The last column links each line to its conversions; the rest is the report's table.
    const shown = [
      (await table.locator("thead th").allTextContents()).slice(0, -1),
      ...(await Promise.all(
        (
          await table.locator("tbody tr").all()
        ).map(async (r) => (await r.locator("td").allTextContents()).slice(0, -1)),
      )),
    ];
    assert.equal(shown.length, 2, "one row: affiliate A on program A today");
    const [, row] = shown;
    assert.deepEqual(row!.slice(1, 5), [String(a.affiliate.id), JS_URL, String(a.program.id), HOSTILE]);
    // Clicks 2, conversions 2 (the unattributed registration has no affiliate), 2 first deposits.
    assert.deepEqual(row!.slice(5, 12), ["2", "2", "2", "0", "0", "EUR", "100.00"]);
    assert.equal(row![12], "200.00", "two CPAs pending");
    await inert(page);
    await screenshot(page, "console-reports");

    const href = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    const csv = await page.request.get(`${b.url}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(
      csv.headers()["content-disposition"] ?? "",
      /^attachment; filename="report-.*-day-UTC\.csv"$/,
    );
    const rows = parseCsv(await csv.text());
    // The same cells, the program name neutralised for spreadsheets (it starts with "<": kept as is).
    assert.deepEqual(rows, shown);

    // A line's conversions, each a way into its timeline.
    await Promise.all([page.waitForNavigation(), table.getByRole("link", { name: /^List/ }).first().click()]);
    assert.match(
      (await page.locator("#report-line").textContent())!,
      new RegExp(`affiliate ${a.affiliate.id}, program ${a.program.id}`),
    );
    const listed = await page
      .locator("table.conversions tbody a")
      .evaluateAll((as) => as.map((x) => x.getAttribute("href")));
    assert.equal(listed.length, 2, "the line's two conversions");
    for (const href of listed) assert.match(href!, /^\/conversions\/cv_/);
    await page.close();

    const affiliate = await signIn("affiliateB");
    const foreign = await affiliate.goto(`${b.url}/reports?affiliate_id=${a.affiliate.id}`);
    assert.equal(foreign?.status(), 404, "an affiliate opening another's report");
    const own = await affiliate.goto(`${b.url}/reports?from=${day(-1)}&to=${day(1)}`);
    assert.equal(own?.status(), 200);
    assert.equal(await affiliate.getByRole("cell", { name: HOSTILE }).count(), 0);
    await affiliate.close();
  });
});
