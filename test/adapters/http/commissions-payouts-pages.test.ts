/**
 * GET /v1/commissions/payouts paged with `cursor`/`next_cursor` on both engines: walking every
 * page yields every payout of the listing exactly once, newest first, for each role's scope, also
 * when a page ends inside a group of payouts made at the same time; a bad cursor is a 400.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  convert,
  expectStatus,
  type PayoutWire as Payout,
  payingWorlds,
  type World,
} from "./admin-kit.ts";

/** The listing's order: `created_at` descending, then `id` descending. */
const newestFirst = (payouts: readonly Payout[]): Payout[] =>
  [...payouts].sort((x, y) =>
    x.created_at === y.created_at ? (x.id < y.id ? 1 : -1) : x.created_at < y.created_at ? 1 : -1,
  );

/** Follows `next_cursor` from the first page until it is null, checking each page's cursor. */
async function walk(call: Call, filters: Record<string, string>, limit: number): Promise<Payout[]> {
  const seen: Payout[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= 200; pages++) {
    const query = new URLSearchParams({ ...filters, limit: String(limit) });
    if (cursor !== null) query.set("cursor", cursor);
    const reply = await call("GET", `/v1/commissions/payouts?${query}`);
    expectStatus(reply, 200);
    const items = reply.body.data as Payout[];
    assert.ok(items.length <= limit, reply.text);
    const full = items.length === limit;
    const next = full ? cursorAt(items.at(-1)!.id) : null;
    assert.equal(reply.body.next_cursor, next, "a full page points past its last");
    seen.push(...items);
    cursor = reply.body.next_cursor;
    if (cursor === null) return seen;
  }
  throw new Error("the walk did not end");
}

/** The cursor after a payout (opaque to clients; cursor.ts: base64url of the JSON position). */
const cursorAt = (id: string): string => Buffer.from(JSON.stringify([id])).toString("base64url");

const ids = (payouts: readonly Payout[]) => payouts.map((p) => p.id);

for (const engine of await availableEngines()) {
  describe(`paging payouts (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    let a: World;
    let b: World;
    /** Who sells what: affiliates a0…a3 on A's program, a0 also on B's, b0 on B's. */
    let sellers: World[];
    let affiliatesOnA: number[];
    /** Every payout made, as POST answered it. */
    const paid: Payout[] = [];
    const period = new Date().toISOString().slice(0, 7);

    /** One conversion per seller, then one payout per affiliate, all with the same created_at. */
    const round = async () => {
      for (const world of sellers) await convert(t, world, await click(t, world));
      const reply = await admin("POST", "/v1/commissions/payouts", { period });
      expectStatus(reply, 201);
      assert.equal(reply.body.data.length, 5, "a0…a3 and b0");
      paid.push(...reply.body.data);
    };

    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
      ({ a, b } = await payingWorlds(t, admin));
      const sell = async (affiliateId: number, on: World): Promise<World> => {
        const link = await admin("POST", "/v1/links", {
          affiliate_id: affiliateId,
          program_id: on.program.id,
        });
        expectStatus(link, 201);
        return { ...on, affiliate: { id: affiliateId }, link: link.body };
      };
      sellers = [a, await sell(a.affiliate.id, b), b];
      for (const name of ["One", "Two", "Three"]) {
        const affiliate = await admin("POST", "/v1/affiliates", { name: `Partner ${name}` });
        expectStatus(affiliate, 201);
        sellers.push(await sell(affiliate.body.id, a));
      }
      affiliatesOnA = [a.affiliate.id, ...sellers.slice(3).map((w) => w.affiliate.id)];
      for (let i = 0; i < 3; i++) await round();
    });
    after(() => t.close());

    test("admin: every payout exactly once, newest first, whatever the page size", async () => {
      assert.equal(paid.length, 15);
      const expected = newestFirst(paid);
      const sameTime = new Set(paid.map((p) => p.created_at));
      assert.ok(sameTime.size < paid.length, "some payouts share a created_at, so pages end inside ties");
      for (const limit of [1, 2, 4, 5, 7, 15, 1000]) {
        const walked = await walk(admin, {}, limit);
        assert.deepEqual(walked, expected, `limit ${limit}`);
        assert.equal(new Set(ids(walked)).size, walked.length, `limit ${limit}: no payout twice`);
      }
      const mine = expected.filter((p) => p.affiliate_id === b.affiliate.id);
      assert.deepEqual(await walk(admin, { affiliate_id: String(b.affiliate.id), period }, 2), mine);
    });

    test("an affiliate key walks only its own payouts", async () => {
      const key = client(t.url, await t.key("affiliate", { affiliateId: a.affiliate.id }));
      const own = newestFirst(paid.filter((p) => p.affiliate_id === a.affiliate.id));
      assert.equal(own.length, 3);
      for (const limit of [1, 2, 3]) assert.deepEqual(await walk(key, {}, limit), own, `limit ${limit}`);
    });

    test("an operator key walks its program's share of each payout", async () => {
      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      const shares = await walk(operatorA, { program_id: String(a.program.id) }, 1000);
      assert.deepEqual(
        ids(shares),
        ids(newestFirst(paid.filter((p) => affiliatesOnA.includes(p.affiliate_id)))),
      );
      // a0's payouts span both programs: A's operator sees only the 10000 earned on A's program.
      for (const p of shares) assert.deepEqual([p.amount_minor, p.entries], [10000, 1], p.id);
      for (const limit of [1, 5, 11]) {
        assert.deepEqual(await walk(operatorA, { program_id: String(a.program.id) }, limit), shares);
      }
      const operatorB = client(t.url, await t.key("operator", { operatorId: b.operator.id }));
      const onB = newestFirst(
        paid.filter((p) => p.affiliate_id === a.affiliate.id || p.affiliate_id === b.affiliate.id),
      );
      const walked = await walk(operatorB, { program_id: String(b.program.id) }, 4);
      assert.deepEqual(ids(walked), ids(onB));
      for (const p of walked) assert.deepEqual([p.amount_minor, p.entries], [7000, 1], p.id);
    });

    test("/openapi.json documents the cursor and next_cursor", async () => {
      const reply = await admin("GET", "/openapi.json");
      expectStatus(reply, 200);
      const op = reply.body.paths["/v1/commissions/payouts"].get;
      const param = op.parameters.find((p: { name: string }) => p.name === "cursor");
      assert.deepEqual([param.in, param.schema.minLength, param.schema.maxLength], ["query", 1, 200]);
      const answer = op.responses["200"].content["application/json"].schema;
      assert.deepEqual(answer.required, ["data", "next_cursor"]);
      assert.deepEqual(answer.properties.next_cursor.type, ["string", "null"]);
    });

    test("a bad cursor is a 400 naming cursor", async () => {
      const path = "/v1/commissions/payouts";
      const bad = (call: Call, query: string) =>
        call("GET", query.startsWith("?") ? `${path}${query}` : `${path}?${query}`).then((reply) =>
          expectStatus(reply, 400, "validation_failed", "cursor"),
        );
      for (const cursor of ["", "p".repeat(201), "not!base64", "bm90IGpzb24", cursorAt("")]) {
        await bad(admin, `cursor=${cursor}`);
      }
      await bad(admin, `cursor=${Buffer.from("[1]").toString("base64url")}`);
      const unknown = await admin("GET", `${path}?cursor=${cursorAt("po_NOSUCHPAYOUT")}`);
      expectStatus(unknown, 400, "validation_failed", "cursor");
      assert.match(unknown.body.message, /next_cursor/);
      // Another tenant's payout answers the same as an unknown id: the cursor reveals nothing.
      const ofA = paid.find((p) => p.affiliate_id === a.affiliate.id)!;
      const ofB = paid.find((p) => p.affiliate_id === b.affiliate.id)!;
      const keyB = client(t.url, await t.key("affiliate", { affiliateId: b.affiliate.id }));
      await bad(keyB, `cursor=${cursorAt(ofA.id)}`);
      const operatorA = client(t.url, await t.key("operator", { operatorId: a.operator.id }));
      const onA = `${path}?program_id=${a.program.id}`;
      await bad(operatorA, `program_id=${a.program.id}&cursor=${cursorAt(ofB.id)}`);
      expectStatus(await operatorA("GET", `${onA}&cursor=${cursorAt(ofA.id)}`), 200);
      // A cursor from another listing (other filters) is refused too.
      await bad(admin, `affiliate_id=${b.affiliate.id}&cursor=${cursorAt(ofA.id)}`);
    });

    test("payouts made during a walk do not shift it", async () => {
      const before = newestFirst(paid);
      const first = await admin("GET", "/v1/commissions/payouts?limit=6");
      expectStatus(first, 200);
      await round();
      const rest = await admin("GET", `/v1/commissions/payouts?limit=1000&cursor=${first.body.next_cursor}`);
      expectStatus(rest, 200);
      assert.deepEqual([...first.body.data, ...rest.body.data], before);
      assert.deepEqual(await walk(admin, {}, 3), newestFirst(paid), "the new round comes first");
    });
  });
}
