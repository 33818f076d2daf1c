/**
 * `postwire backup <file>`: an online copy of the SQLite database taken while the service commits
 * postbacks is complete up to one moment (a consistent snapshot) and opens as a Postwire database;
 * it never overwrites a file, and says what to use for PostgreSQL instead.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { openStore } from "../../src/adapters/storage/open-store.ts";
import { ftd, type KitService, signedGet, startKitService } from "../adapters/http/postback-kit.ts";
import { runPostwire } from "../helpers/cli.ts";
import { createFixture, type Fixture } from "../helpers/service.ts";

describe("postwire backup", { timeout: 120_000 }, () => {
  let k: KitService;
  let f: Fixture;
  let dir: string;
  before(async () => {
    k = await startKitService("sqlite");
    f = await createFixture(k.store);
    dir = mkdtempSync(path.join(tmpdir(), "postwire-backup-"));
  });
  after(async () => {
    await k?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const accept = async (txid: string) => {
    const answer = await signedGet(k.url, f, ftd(txid));
    assert.equal(answer.status, 200, answer.text);
  };

  test("a copy taken while postbacks are committed has all before it and a prefix of those during", async () => {
    for (let i = 0; i < 20; i++) await accept(`before-${i}`);
    // One client posting one postback after another for as long as the backup runs.
    let writing = true;
    let sent = 0;
    const writer = (async () => {
      while (writing) await accept(`during-${sent++}`);
    })();
    const target = path.join(dir, "copy.db");
    const result = await runPostwire(["backup", target], { DATABASE_URL: k.database.url });
    writing = false;
    await writer;
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^Backed up \/.+ to \/.+copy\.db \(\d+ pages, [\d.]+ MB; quick_check ok\)\.$/);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith("copy.db")),
      ["copy.db"],
      "one file alone: no -wal, -shm or partial copy beside it",
    );

    const copy = openStore(`sqlite:${target}`);
    try {
      assert.deepEqual(await copy.migrate(), [], "the copy has the whole schema");
      const txids = new Set(
        (await copy.listConversions({ operatorId: f.operator.id, limit: 1000 })).map((c) => c.txid),
      );
      for (let i = 0; i < 20; i++) assert.ok(txids.has(`before-${i}`), `before-${i}`);
      // Committed one after another: a snapshot holds the first n of them and none after.
      const during = [...txids].filter((t) => t.startsWith("during-")).length;
      assert.ok(during <= sent);
      for (let i = 0; i < sent; i++) assert.equal(txids.has(`during-${i}`), i < during, `during-${i}`);
    } finally {
      await copy.close();
    }
    assert.equal(
      (await k.store.listConversions({ operatorId: f.operator.id, limit: 1000 })).length,
      20 + sent,
    );
  });

  test("an existing file is never overwritten", async () => {
    const target = path.join(dir, "taken.db");
    writeFileSync(target, "keep me");
    const result = await runPostwire(["backup", target], { DATABASE_URL: k.database.url });
    assert.equal(result.code, 1);
    assert.match(result.err, /taken\.db exists: choose a new file/);
    assert.equal(readFileSync(target, "utf8"), "keep me");
  });

  test("usage: one target file; PostgreSQL is pointed to pg_dump", async () => {
    const none = await runPostwire(["backup"], { DATABASE_URL: k.database.url });
    assert.equal(none.code, 2);
    assert.match(none.err, /expected one target file/);
    const pg = await runPostwire(["backup", path.join(dir, "pg.db")], {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postwire",
    });
    assert.equal(pg.code, 2);
    assert.match(pg.err, /for PostgreSQL use pg_dump/);
  });
});
