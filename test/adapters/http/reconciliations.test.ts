/**
 * Reconciliation (docs/reconciliation.md) through the real service on both engines: a crafted
 * file with every kind of difference, malformed rows reported with their line, a BOM, a file in
 * the wrong encoding, a txid twice in the file; the backfill through the ingest pipeline (source
 * kept, run twice changes nothing) and a live postback racing the backfill of the same txid.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { availableEngines } from "../../helpers/engines.ts";
import { ftdOf } from "../../helpers/event-pairs.ts";
import { startTestService, type TestService } from "../../helpers/service.ts";
import {
  type Call,
  click,
  client,
  createWorld,
  expectStatus,
  postback,
  type Reply,
  signedQuery,
  txid,
  type World,
} from "./admin-kit.ts";

const PERIOD = { from: "2026-11-01T00:00:00Z", to: "2026-11-03T00:00:00Z" };
const DAY1 = "2026-11-01T10:00:00Z";
const DAY2 = "2026-11-02T09:30:00Z";

async function upload(
  t: TestService,
  key: string,
  body: Uint8Array | string,
  query: Record<string, string>,
  type = "text/csv",
): Promise<Reply> {
  const response = await fetch(`${t.url}/v1/reconciliations?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": type },
    body,
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Asserted through `text`.
  }
  return { status: response.status, body: parsed, text };
}

/** A CSV line, RFC 4180 quoting where needed. */
const line = (cells: readonly string[]): string =>
  `${cells.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",")}\r\n`;

for (const engine of await availableEngines()) {
  describe(`reconciliation (${engine})`, () => {
    let t: TestService;
    let admin: Call;
    before(async () => {
      t = await startTestService(engine);
      admin = client(t.url, t.adminKey);
    });
    after(async () => {
      await t.close();
    });

    const live = async (w: World, pairs: Array<[string, string]>): Promise<Reply> =>
      postback(t.url, w.operator.key, signedQuery(w.secret, pairs));
    const conversionsOf = async (w: World, id: string) => {
      const listed = await admin("GET", `/v1/conversions?operator_id=${w.operator.id}&limit=1000`);
      expectStatus(listed, 200);
      return (listed.body.data as Array<Record<string, unknown>>).filter((c) => c["txid"] === id);
    };
    const rowsOf = async (runId: string, category: string) => {
      const page = await admin("GET", `/v1/reconciliations/${runId}/rows?category=${category}`);
      expectStatus(page, 200);
      return page.body.data as Array<Record<string, unknown>>;
    };

    /** A world with live events received, and a file that differs from them in every way. */
    async function crafted() {
      const world = await createWorld(t, `Rc${Math.random().toString(36).slice(2, 7)}`);
      const cid = await click(t, world);
      const tx = {
        matched: txid(),
        mismatched: txid(),
        extra: txid(),
        missing: txid(),
        missingRefund: txid(),
        refund: txid(),
        dup: txid(),
        test: txid(),
        badAmount: txid(),
      };
      const ftd = ftdOf(cid);
      for (const pairs of [
        ftd(tx.matched, "50.00", "p1", DAY1),
        ftd(tx.mismatched, "50.00", "p2", DAY1),
        ftd(tx.dup, "25.00", "p3", DAY2),
        // received, and refused in the file: not an extra
        ftd(tx.badAmount, "12.34", "p5", DAY1),
        [
          ["event", "registration"],
          ["txid", tx.extra],
          ["click_id", cid],
          ["occurred_at", DAY2],
        ] as Array<[string, string]>,
        [
          ["event", "refund"],
          ["txid", tx.refund],
          ["reverses", tx.matched],
          ["amount", "10.00"],
          ["currency", "EUR"],
          ["occurred_at", DAY2],
        ] as Array<[string, string]>,
      ])
        expectStatus(await live(world, pairs), 200, "accepted");
      const header = [
        "event",
        "txid",
        "click_id",
        "player_id",
        "amount",
        "currency",
        "occurred_at",
        "reverses",
        "note",
        "test",
      ];
      const row = (cells: string[], test = "") => line([...cells, test]);
      const csv = [
        line(header),
        row(["ftd", tx.matched, cid, "p1", "50.00", "EUR", DAY1, "", "first"]),
        // amount and player differ; a quoted newline makes this row lines 3-4
        row(["ftd", tx.mismatched, cid, "p9", "60.00", "EUR", DAY1, "", "two\nlines"]),
        row(["ftd", tx.missing, cid, "p4", "40.00", "EUR", DAY2, "", ""]),
        row(["refund", tx.missingRefund, "", "", "5.00", "EUR", DAY2, tx.missing, ""]),
        // the reversal link differs: the refund received reverses tx.matched
        row(["refund", tx.refund, "", "", "10.00", "EUR", DAY2, tx.mismatched, ""]),
        row(["ftd", tx.dup, cid, "p3", "25.00", "EUR", DAY2, "", ""]),
        row(["ftd", tx.dup, cid, "p3", "25.00", "EUR", DAY2, "", ""]),
        row(["ftd", tx.badAmount, cid, "p5", "12.345", "EUR", DAY1, "", ""]), // 3 decimals in EUR
        row(["ftd", txid(), cid, "p6", "10.00", "EUR", "", "", ""]), // no occurred_at
        "ftd,short,row\r\n",
        // test events are left out of the comparison; the last line has no line end
        row(["ftd", tx.test, cid, "p7", "1.00", "EUR", DAY1, "", ""], "1").trimEnd(),
      ].join("");
      return { world, cid, tx, csv };
    }

    test("a crafted file: every category, each difference named, malformed rows with their line, BOM", async () => {
      const { world, tx, csv } = await crafted();
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]);
      const reply = await upload(t, t.adminKey, bom, { operator_id: String(world.operator.id), ...PERIOD });
      expectStatus(reply, 201);
      const run = reply.body;
      assert.equal(run.status, "done");
      assert.match(run.file_sha256, /^[0-9a-f]{64}$/);
      assert.equal(run.file_bytes, bom.length);
      const counts = run.counts;
      // tx.matched, and the first of the two tx.dup rows
      assert.equal(counts.matched, 2, reply.text);
      assert.equal(counts.mismatched, 2, reply.text);
      assert.equal(counts.missing, 2, reply.text);
      assert.equal(counts.extra, 1, reply.text);
      assert.equal(counts.duplicate, 1, reply.text);
      assert.equal(counts.malformed, 3, reply.text);
      assert.equal(counts.test, 1, reply.text);

      const mismatched = await rowsOf(run.id, "mismatched");
      const byTxid = new Map(mismatched.map((r) => [r["txid"], r]));
      assert.deepEqual(byTxid.get(tx.mismatched)!["differences"], [
        { field: "amount", file: "60.00", received: "50.00" },
        { field: "player_id", file: "p9", received: "p2" },
      ]);
      assert.deepEqual(byTxid.get(tx.refund)!["differences"], [
        { field: "reverses", file: tx.mismatched, received: tx.matched },
      ]);
      assert.deepEqual(
        (await rowsOf(run.id, "extra")).map((r) => r["txid"]),
        [tx.extra],
      );
      assert.deepEqual(
        (await rowsOf(run.id, "missing")).map((r) => r["txid"]),
        [tx.missing, tx.missingRefund],
      );
      const malformed = await rowsOf(run.id, "malformed");
      // header is line 1; the quoted newline makes the mismatched row span lines 3-4
      assert.deepEqual(
        malformed.map((r) => r["line"]),
        [10, 11, 12],
      );
      assert.match(String(malformed[0]!["error"]), /^line 10: .*decimal/i);
      assert.equal(malformed[0]!["txid"], tx.badAmount);
      assert.equal(malformed[2]!["txid"], null);
      assert.match(String(malformed[1]!["error"]), /occurred_at is required/);
      assert.match(String(malformed[2]!["error"]), /3 fields where the header has 10/);
      const duplicate = await rowsOf(run.id, "duplicate");
      assert.equal(duplicate[0]!["txid"], tx.dup);
      assert.equal(duplicate[0]!["line"], 9);

      // summary per UTC day and event type
      const day2ftd = run.summary.find(
        (s: { day: string; event: string }) => s.day === "2026-11-02" && s.event === "ftd",
      );
      assert.equal(day2ftd.counts.missing, 1);
      assert.equal(day2ftd.counts.matched, 1);
      const day2reg = run.summary.find(
        (s: { day: string; event: string }) => s.day === "2026-11-02" && s.event === "registration",
      );
      assert.equal(day2reg.counts.extra, 1);

      // each category downloadable as CSV
      const download = await fetch(`${t.url}/v1/reconciliations/${run.id}/rows.csv?category=mismatched`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      assert.equal(download.status, 200);
      assert.match(download.headers.get("content-disposition") ?? "", /mismatched\.csv/);
      const lines = (await download.text()).trimEnd().split("\r\n");
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /^seq,category,line,txid/);
      assert.ok(lines.some((l) => l.includes("amount: file 60.00, received 50.00")));

      // the run is kept and listed
      const listed = await admin("GET", `/v1/reconciliations?operator_id=${world.operator.id}`);
      expectStatus(listed, 200);
      assert.deepEqual(
        listed.body.data.map((r: { id: string }) => r.id),
        [run.id],
      );
    });

    test("JSON lines, a test event left out, and a file that is not UTF-8 refused", async () => {
      const world = await createWorld(t, `Js${Math.random().toString(36).slice(2, 7)}`);
      const id = txid();
      const jsonl = [
        JSON.stringify({ event: "registration", txid: id, occurred_at: DAY1 }),
        "",
        JSON.stringify({ event: "registration", txid: txid(), occurred_at: DAY1, test: 1 }),
        "{not json",
      ].join("\n");
      const reply = await upload(
        t,
        t.adminKey,
        jsonl,
        { operator_id: String(world.operator.id), ...PERIOD },
        "application/jsonl", // read as JSON lines from its type
      );
      expectStatus(reply, 201);
      assert.equal(reply.body.format, "jsonl");
      assert.equal(reply.body.counts.missing, 1);
      assert.equal(reply.body.counts.test, 1);
      assert.equal(reply.body.counts.malformed, 1);
      assert.equal((await rowsOf(reply.body.id, "malformed"))[0]!["line"], 4);

      // Latin-1 "é" (0xE9) is not UTF-8
      const latin1 = Buffer.concat([
        Buffer.from("event,txid,occurred_at,note\r\nftd,x1,2026-11-01T00:00:00Z,caf"),
        Buffer.from([0xe9]),
        Buffer.from("\r\n"),
      ]);
      const refused = await upload(t, t.adminKey, latin1, {
        operator_id: String(world.operator.id),
        ...PERIOD,
      });
      expectStatus(refused, 400, "invalid_encoding");
      assert.match(refused.body.message, /not valid UTF-8/);
      const runs = await admin("GET", `/v1/reconciliations?operator_id=${world.operator.id}`);
      assert.equal(runs.body.data[0].status, "refused");
      assert.equal(runs.body.data[0].counts.missing, 0);
    });

    test("backfill: the missing rows through the pipeline, marked with the run; twice changes nothing", async () => {
      const { world, tx, csv } = await crafted();
      const run = (await upload(t, t.adminKey, csv, { operator_id: String(world.operator.id), ...PERIOD }))
        .body;
      const first = await admin("POST", `/v1/reconciliations/${run.id}/backfill`, {});
      expectStatus(first, 200);
      assert.equal(first.body.attempted, 2);
      assert.deepEqual(first.body.outcomes, { accepted: 2 });
      const [missing] = await conversionsOf(world, tx.missing);
      assert.ok(missing, "the missing ftd was ingested");
      assert.equal(missing["reconciliation_id"], run.id);
      assert.equal(missing["occurred_at"], "2026-11-02T09:30:00.000Z");
      assert.equal(missing["attributed"], true);
      const [refund] = await conversionsOf(world, tx.missingRefund);
      assert.equal(refund!["reverses_id"], missing["id"]);
      const log = await admin("GET", `/v1/request-log?operator_id=${world.operator.id}&txid=${tx.missing}`);
      expectStatus(log, 200);
      assert.equal(log.body.data.length, 1);
      assert.equal(log.body.data[0].reconciliation_id, run.id);
      assert.equal(log.body.data[0].code, "accepted");
      // the mismatch was not overwritten
      const [mismatched] = await conversionsOf(world, tx.mismatched);
      assert.equal(mismatched!["amount"], "50.00");

      const second = await admin("POST", `/v1/reconciliations/${run.id}/backfill`, {});
      expectStatus(second, 200);
      assert.equal(second.body.attempted, 0);
      assert.equal(second.body.already_done, 2);
      assert.equal((await conversionsOf(world, tx.missing)).length, 1);
      const again = await admin("GET", `/v1/request-log?operator_id=${world.operator.id}&txid=${tx.missing}`);
      assert.equal(again.body.data.length, 1, "no second request-log row");
      const rows = await rowsOf(run.id, "missing");
      assert.deepEqual(
        rows.map((r) => [r["backfill_code"], r["conversion_id"] !== null]),
        [
          ["accepted", true],
          ["accepted", true],
        ],
      );

      // each backfill kept as its own record, newest first, with each row's answer
      const kept = await admin("GET", `/v1/reconciliations/${run.id}/backfills`);
      expectStatus(kept, 200);
      assert.deepEqual(
        kept.body.data.map((b: Record<string, unknown>) => [
          b["id"],
          b["status"],
          b["txids"],
          b["attempted"],
          b["already_done"],
          b["outcomes"],
        ]),
        [
          [second.body.backfill_id, "done", null, 0, 2, {}],
          [first.body.backfill_id, "done", null, 2, 0, { accepted: 2 }],
        ],
      );
      assert.notEqual(kept.body.data[1].created_by_key_id, null);
      const firstRows = await admin(
        "GET",
        `/v1/reconciliations/${run.id}/backfills/${first.body.backfill_id}/rows`,
      );
      expectStatus(firstRows, 200);
      assert.deepEqual(
        firstRows.body.data.map((r: Record<string, unknown>) => [r["txid"], r["code"], r["conversion_id"]]),
        [
          [tx.missing, "accepted", missing["id"]],
          [tx.missingRefund, "accepted", refund!["id"]],
        ],
      );
      const secondRows = await admin(
        "GET",
        `/v1/reconciliations/${run.id}/backfills/${second.body.backfill_id}/rows`,
      );
      assert.deepEqual(secondRows.body.data, []);
    });

    test("a backfill of a selection is kept with the txids asked for; the rest stays missing", async () => {
      const { world, tx, csv } = await crafted();
      const run = (await upload(t, t.adminKey, csv, { operator_id: String(world.operator.id), ...PERIOD }))
        .body;
      const some = await admin("POST", `/v1/reconciliations/${run.id}/backfill`, { txids: [tx.missing] });
      expectStatus(some, 200);
      assert.equal(some.body.attempted, 1);
      assert.equal((await conversionsOf(world, tx.missingRefund)).length, 0);
      const kept = await admin("GET", `/v1/reconciliations/${run.id}/backfills`);
      assert.deepEqual(kept.body.data[0].txids, [tx.missing]);
      assert.equal(kept.body.data[0].attempted, 1);
      const all = await admin("POST", `/v1/reconciliations/${run.id}/backfill`, {});
      assert.equal(all.body.attempted, 1);
      assert.equal(all.body.already_done, 1);
      // a backfill of another run is not found under this one
      const other = await crafted();
      const otherRun = (
        await upload(t, t.adminKey, other.csv, { operator_id: String(other.world.operator.id), ...PERIOD })
      ).body;
      expectStatus(
        await admin("GET", `/v1/reconciliations/${otherRun.id}/backfills/${some.body.backfill_id}/rows`),
        404,
        "not_found",
      );
    });

    test("a live postback racing the backfill of the same txid makes exactly one conversion", async () => {
      const world = await createWorld(t, `Race${Math.random().toString(36).slice(2, 7)}`);
      const cid = await click(t, world);
      const ids = Array.from({ length: 20 }, () => txid());
      const pairsOf = (id: string): Array<[string, string]> => [
        ["event", "ftd"],
        ["txid", id],
        ["click_id", cid],
        ["amount", "30.00"],
        ["currency", "EUR"],
        ["occurred_at", DAY1],
      ];
      const csv = [line(["event", "txid", "click_id", "amount", "currency", "occurred_at"])]
        .concat(ids.map((id) => line(pairsOf(id).map(([, v]) => v))))
        .join("");
      const run = (await upload(t, t.adminKey, csv, { operator_id: String(world.operator.id), ...PERIOD }))
        .body;
      assert.equal(run.counts.missing, ids.length);
      const [backfill, ...lives] = await Promise.all([
        admin("POST", `/v1/reconciliations/${run.id}/backfill`, {}),
        ...ids.map((id) => live(world, pairsOf(id))),
      ]);
      expectStatus(backfill!, 200);
      for (const reply of lives) assert.ok(["accepted", "duplicate"].includes(reply.body.code), reply.text);
      for (const id of ids) assert.equal((await conversionsOf(world, id)).length, 1, id);
      const outcomes = backfill!.body.outcomes as Record<string, number>;
      const accepted = (outcomes["accepted"] ?? 0) + lives.filter((r) => r.body.code === "accepted").length;
      assert.equal(accepted, ids.length, "each txid accepted exactly once");
    });

    test("scoped: an operator key its own operator, an affiliate key none", async () => {
      const world = await createWorld(t, `Sc${Math.random().toString(36).slice(2, 7)}`);
      const other = await createWorld(t, `Ot${Math.random().toString(36).slice(2, 7)}`);
      const keyOf = async (body: Record<string, unknown>) => {
        const created = await admin("POST", "/v1/api-keys", { name: "k", ...body });
        expectStatus(created, 201);
        return created.body.key as string;
      };
      const operatorKey = await keyOf({ role: "operator", operator_id: world.operator.id });
      const affiliateKey = await keyOf({ role: "affiliate", affiliate_id: world.affiliate.id });
      const csv = `${line(["event", "txid", "occurred_at"])}${line(["registration", txid(), DAY1])}`;
      const mine = await upload(t, operatorKey, csv, PERIOD);
      expectStatus(mine, 201);
      assert.equal(mine.body.operator_id, world.operator.id);
      assert.equal(mine.body.created_by_key_id !== null, true);
      expectStatus(
        await upload(t, operatorKey, csv, { operator_id: String(other.operator.id), ...PERIOD }),
        404,
        "not_found",
      );
      expectStatus(
        await upload(t, affiliateKey, csv, { operator_id: String(world.operator.id), ...PERIOD }),
        403,
        "forbidden",
      );
      const theirs = (await upload(t, t.adminKey, csv, { operator_id: String(other.operator.id), ...PERIOD }))
        .body;
      const asOperator = client(t.url, operatorKey);
      expectStatus(await asOperator("GET", `/v1/reconciliations/${theirs.id}`), 404, "not_found");
      expectStatus(
        await asOperator("POST", `/v1/reconciliations/${theirs.id}/backfill`, {}),
        404,
        "not_found",
      );
      expectStatus(await asOperator("GET", `/v1/reconciliations/${theirs.id}/backfills`), 404, "not_found");
      const listed = await asOperator("GET", "/v1/reconciliations");
      assert.ok(listed.body.data.every((r: { operator_id: number }) => r.operator_id === world.operator.id));
    });
  });
}
