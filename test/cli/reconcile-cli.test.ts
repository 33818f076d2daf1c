/**
 * `postwire reconcile upload|show|backfill` against a real service over loopback (SQLite): the
 * file streamed with progress lines (plain off a terminal, a bar redrawn on one), the summary, a
 * category's rows and CSV, a backfill and a second one that changes nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { progressBar } from "../../src/cli/progress.ts";
import { client, createWorld, postback, signedQuery, txid, type World } from "../adapters/http/admin-kit.ts";
import { runPostwire } from "../helpers/cli.ts";
import { startTestService, type TestService } from "../helpers/service.ts";

describe("postwire reconcile", () => {
  let t: TestService;
  let world: World;
  before(async () => {
    t = await startTestService("sqlite");
    world = await createWorld(t, "CliRc");
  });
  after(async () => {
    await t.close();
  });

  test("upload, show, backfill, backfill again", async () => {
    const received = txid();
    const missing = txid();
    const live = await postback(
      t.url,
      world.operator.key,
      signedQuery(world.secret, [
        ["event", "registration"],
        ["txid", received],
        ["occurred_at", "2026-11-01T08:00:00Z"],
      ]),
    );
    assert.equal(live.body.code, "accepted", live.text);
    const dir = mkdtempSync(path.join(tmpdir(), "reconcile-cli-"));
    const file = path.join(dir, "events.csv");
    writeFileSync(
      file,
      `type,id,time\r\nregistration,${received},2026-11-01T08:00:00Z\r\nregistration,${missing},2026-11-01T09:00:00Z\r\n`,
    );
    const common = ["--url", t.url, "--api-key", t.adminKey];
    const uploaded = await runPostwire([
      "reconcile",
      "upload",
      file,
      "--from",
      "2026-11-01T00:00:00Z",
      "--to",
      "2026-11-02T00:00:00Z",
      "--operator",
      String(world.operator.id),
      "--column",
      "type=event",
      "--column",
      "id=txid",
      "--column",
      "time=occurred_at",
      ...common,
    ]);
    assert.equal(uploaded.code, 0, uploaded.err);
    assert.match(uploaded.out, /matched 1 · missing 1 · extra 0 · mismatched 0/);
    assert.match(uploaded.out, /2026-11-01 registration\s+1\s+1\s+0\s+0/);
    assert.match(uploaded.err, /Uploading .*events\.csv 100%/);
    const id = /Reconciliation (rc_\w+)/.exec(uploaded.out)![1]!;

    const rows = await runPostwire(["reconcile", "show", id, "--category", "missing", ...common]);
    assert.equal(rows.code, 0, rows.err);
    assert.equal(rows.out, `line 3 ${missing} registration 2026-11-01T09:00:00.000Z`);
    const csv = await runPostwire(["reconcile", "show", id, "--category", "matched", "--csv", ...common]);
    assert.equal(csv.out.split("\r\n").length, 2);
    assert.match(csv.out, new RegExp(`^seq,category[^\\n]*\\r\\n1,matched,2,${received},registration`));

    const first = await runPostwire(["reconcile", "backfill", id, ...common]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /1 rows ingested, 0 already done\n {2}accepted: 1/);
    const second = await runPostwire(["reconcile", "backfill", id, ...common]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /0 rows ingested/);
    const listed = await client(t.url, t.adminKey)("GET", `/v1/conversions?operator_id=${world.operator.id}`);
    assert.deepEqual(
      listed.body.data.map((c: { txid: string }) => c.txid).sort(),
      [received, missing].sort(),
    );
  });

  test("usage and refusals", async () => {
    const noKey = await runPostwire(["reconcile", "show", "rc_x", "--url", t.url]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /--api-key \(or POSTWIRE_API_KEY\) is required/);
    const unknown = await runPostwire(["reconcile", "show", "rc_nope", "--url", t.url], {
      POSTWIRE_API_KEY: t.adminKey,
    });
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /404 \(not_found: Reconciliation rc_nope was not found\.\)/);
  });

  test("a progress bar is redrawn in place on a terminal, plain lines every tenth otherwise", () => {
    const written: string[] = [];
    const bar = progressBar({ tty: true, write: (s) => void written.push(s) }, "Up", 200, String);
    bar.update(50);
    bar.update(200);
    bar.finish();
    assert.deepEqual(written, [
      `\r[${"#".repeat(8)}${".".repeat(22)}] Up 25% 50 / 200\u001b[K`,
      `\r[${"#".repeat(30)}] Up 100% 200 / 200\u001b[K`,
      "\n",
    ]);
    const lines: string[] = [];
    const plain = progressBar({ tty: false, write: (s) => void lines.push(s) }, "Up", 100, String);
    for (let i = 0; i <= 100; i += 5) plain.update(i);
    assert.equal(lines.length, 11);
    assert.equal(lines[10], "Up 100% 100 / 100\n");
  });
});
