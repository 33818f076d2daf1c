/**
 * The lists' "From" and "Until" filters (form-values.ts localTimeRange) over real HTTP: read in the
 * viewer's zone on the request-log explorer and the clicks and conversions lists alike; what is not
 * a date and time is named above the list, which then shows nothing, rather than ignored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { click, createWorld } from "../adapters/http/admin-kit.ts";
import { type ConsoleClient, consoleSession } from "../helpers/console-http.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("list time filters (HTTP, sqlite)", () => {
  let t: TestService;
  let admin: ConsoleClient;
  let clickId: string;

  before(async () => {
    t = await startTestService("sqlite");
    admin = await consoleSession(t.url, t.adminKey);
    clickId = await click(t, await createWorld(t, "Filters"));
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
});
