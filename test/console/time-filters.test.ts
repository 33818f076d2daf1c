/**
 * The console's filter forms over real HTTP. The lists' "From" and "Until" filters (form-values.ts
 * localTimeRange): read in the viewer's zone on the request-log explorer and the clicks and
 * conversions lists alike; what is not a date and time is named above the list, which then shows
 * nothing, rather than ignored. And every filter form (built with form-fields.ts) shows the filters
 * it was sent as chosen.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { click, createWorld, type World } from "../adapters/http/admin-kit.ts";
import { type ConsoleClient, consoleSession } from "../helpers/console-http.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("list time filters (HTTP, sqlite)", () => {
  let t: TestService;
  let admin: ConsoleClient;
  let clickId: string;
  let world: World;

  before(async () => {
    t = await startTestService("sqlite");
    admin = await consoleSession(t.url, t.adminKey);
    world = await createWorld(t, "Filters");
    clickId = await click(t, world);
  });
  after(async () => {
    await t?.close();
  });

  const problems = (html: string) => [...html.matchAll(/<ul class="error" role="alert">(.*?)<\/ul>/gs)];

  for (const path of ["/requests", "/clicks", "/conversions"])
    test(`${path}: unreadable times named, readable ones applied`, async () => {
      const wrong = await admin.get(`${path}?since=yesterday&until=2026-13-45T99:00`);
      assert.equal(wrong.status, 200);
      const [list] = problems(wrong.html);
      assert.ok(list, "the problems are shown");
      assert.match(
        list[1]!,
        /<li>&quot;From&quot; must be a date and time\.<\/li><li>&quot;Until&quot; must be a date and time\.<\/li>/,
      );

      const fine = await admin.get(`${path}?since=2000-01-01T00:00&until=2100-01-01T00:00`);
      assert.equal(fine.status, 200);
      assert.deepEqual(problems(fine.html), []);
      if (path === "/clicks") {
        assert.match(fine.html, new RegExp(clickId), "the click in range is listed");
        const empty = await admin.get(`${path}?until=2000-01-01T00:00`);
        assert.doesNotMatch(empty.html, new RegExp(clickId), "until applied");
      }
    });

  test("each filter form shows what it was sent as chosen", async () => {
    const p = world.program.id;
    const o = world.operator.id;
    const l = world.link.id;
    for (const [path, chosen] of [
      [
        `/requests?operator=${o}&program=${p}&outcome=duplicate&status=404&txid=t-1`,
        [
          ["operator", `${o}`],
          ["program", `${p}`],
          ["outcome", "duplicate"],
        ],
      ],
      [`/commissions?status=approved`, [["status", "approved"]]],
      [`/clicks?link_id=${l}`, [["link_id", `${l}`]]],
      [
        `/reports?from=2026-11-01&to=2026-11-08&group_by=week&program_id=${p}`,
        [
          ["group_by", "week"],
          ["program_id", `${p}`],
        ],
      ],
      [`/programs/${p}?range=30d`, [["range", "30d"]]],
    ] as const) {
      const answer = await admin.get(path);
      assert.equal(answer.status, 200, path);
      for (const [name, value] of chosen) {
        const select = new RegExp(`<select [^>]*name="${name}"[^>]*>(.*?)</select>`, "s").exec(answer.html);
        assert.ok(select, `${path}: a select named ${name}`);
        const selected = [...select[1]!.matchAll(/<option value="([^"]*)" selected>/g)].map((m) => m[1]);
        assert.deepEqual(selected, [value], `${path}: ${name}`);
      }
    }
    const requests = await admin.get("/requests?status=404&txid=t-1");
    assert.match(requests.html, /type="number" id="f-status" name="status" value="404"/);
    assert.match(requests.html, /type="text" id="f-txid" name="txid" value="t-1"/);
  });
});
