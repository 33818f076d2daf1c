/**
 * Every list answers `{ data, next_cursor }` and pages only by `cursor`: walking an entity list
 * (id order), a time-ordered list (newest first) and the ledger with a small limit reads every row
 * once, in order; a cursor the list did not give out is 400 validation_failed naming `cursor`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import type { TestService } from "../../helpers/service.ts";
import { type Call, click, createWorld, expectStatus, startAdminWorld, type World } from "./admin-kit.ts";

/** Every row of `path`, `limit` at a time, following next_cursor; checks each page's envelope. */
async function walk(call: Call, path: string, limit: number): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const separator = path.includes("?") ? "&" : "?";
    const query = `limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`;
    const reply = await call("GET", `${path}${separator}${query}`);
    expectStatus(reply, 200);
    assert.deepEqual(Object.keys(reply.body).sort(), ["data", "next_cursor"], reply.text);
    assert.ok(reply.body.data.length <= limit);
    rows.push(...reply.body.data);
    cursor = reply.body.next_cursor;
    if (reply.body.data.length < limit) assert.equal(cursor, null, "a short page is the last");
    if (cursor === null) return rows;
    assert.match(cursor, /^[A-Za-z0-9_-]+$/, "opaque, URL-safe");
  }
  throw new Error("the walk did not end");
}

for (const engine of await availableEngines()) {
  describe(`list cursors (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let world: World;
    before(async () => {
      ({ t, admin, world } = await startAdminWorld(engine));
      for (let i = 0; i < 4; i++) await createWorld(t, `Cursor ${i}`);
      for (let i = 0; i < 7; i++) await click(t, world);
    });
    after(() => t.close());

    test("an entity list walks in id order, each row once", async () => {
      const all = (await admin("GET", "/v1/operators?limit=1000")).body.data;
      const walked = await walk(admin, "/v1/operators", 2);
      assert.deepEqual(
        walked.map((o) => o["id"]),
        all.map((o: { id: number }) => o.id),
      );
      assert.ok(walked.length >= 5);
    });

    test("a time-ordered list walks newest first, each row once", async () => {
      const path = `/v1/clicks?link_id=${world.link.id}`;
      const all = (await admin("GET", path)).body.data;
      assert.equal(all.length, 7);
      const walked = await walk(admin, path, 3);
      assert.deepEqual(
        walked.map((c) => c["click_id"]),
        all.map((c: { click_id: string }) => c.click_id),
      );
    });

    test("a list answered whole says so with a null cursor", async () => {
      const rates = await admin("GET", "/v1/fx-rates");
      expectStatus(rates, 200);
      assert.equal(rates.body.next_cursor, null);
      assert.ok(Array.isArray(rates.body.data));
    });

    test("a cursor the list did not give out is 400 validation_failed naming cursor", async () => {
      const page = await admin("GET", `/v1/clicks?link_id=${world.link.id}&limit=1`);
      const timeCursor: string = page.body.next_cursor;
      const idCursor: string = (await admin("GET", "/v1/operators?limit=1")).body.next_cursor;
      const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const cases: Array<[string, string]> = [
        ["/v1/operators", "garbage!"],
        ["/v1/operators", json({ id: 1 })],
        ["/v1/operators", json([-1])],
        ["/v1/operators", timeCursor],
        ["/v1/clicks", idCursor],
        ["/v1/clicks", json([1, 2])],
        ["/v1/conversions", Buffer.from("not json").toString("base64url")],
        ["/v1/commissions", idCursor],
        ["/v1/request-log", ""],
      ];
      for (const [path, cursor] of cases) {
        expectStatus(await admin("GET", `${path}?cursor=${cursor}`), 400, "validation_failed", "cursor");
      }
    });
  });
}
