/**
 * SQLite on a tiny file system that fills up: /readyz says not ready while the disk is full and
 * ready again once there is room, postbacks meanwhile get 200 (committed) or 503 with Retry-After
 * (never a 4xx, never another 5xx), the process keeps running, and once space is back every
 * retried txid is stored exactly once, with nothing acknowledged lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Service, startService } from "../../src/composition/start-service.ts";
import { loadConfig } from "../../src/config.ts";
import { type Answer, ftd, signedGet } from "../adapters/http/postback-kit.ts";
import { createFixture, type Fixture } from "../helpers/service.ts";
import { mountTmpfs, type Tmpfs, tmpfsSupport } from "../helpers/tmpfs.ts";

const unsupported = process.env["CI"] === "true" ? undefined : tmpfsSupport();

describe("SQLite on a full disk", { skip: unsupported, timeout: 60_000 }, () => {
  let disk: Tmpfs;
  let service: Service;
  let f: Fixture;
  const readyz = async () => (await fetch(`${service.url}/readyz`)).status;
  const post = (txid: string) => signedGet(service.url, f, ftd(txid));

  before(async () => {
    disk = mountTmpfs(8 * 1024 * 1024);
    const config = loadConfig({
      DATABASE_URL: `sqlite:${disk.dir}/postwire.db`,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    service = await startService(config);
    f = await createFixture(service.store);
  });
  after(async () => {
    disk?.free();
    await service?.stop().catch(() => undefined);
    disk?.remove();
  });

  test("not ready while full, 200 or 503 meanwhile, ready and exactly-once after space is back", async () => {
    assert.equal((await post("before-full")).status, 200);
    assert.equal(await readyz(), 200);

    disk.fill();
    assert.equal(await readyz(), 503);
    const ready = await fetch(`${service.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: "unavailable", code: "storage_unavailable" });
    assert.equal(ready.headers.get("retry-after"), "5");

    const txids = Array.from({ length: 40 }, (_, i) => `full-${i}`);
    const answers: Answer[] = [];
    for (let round = 0; round < 4; round++)
      answers.push(...(await Promise.all(txids.slice(round * 10, round * 10 + 10).map(post))));
    const acknowledged = new Set<string>();
    answers.forEach((answer, i) => {
      if (answer.status === 200) acknowledged.add(txids[i]!);
      else {
        assert.equal(answer.status, 503, answer.text);
        assert.equal(answer.body["code"], "storage_unavailable");
        assert.equal(answer.headers.get("retry-after"), "5");
      }
    });
    assert.ok(acknowledged.size < txids.length, "a full disk refuses at least some writes");
    assert.equal(await readyz(), 503, "still not ready while full");

    disk.free();
    assert.equal(await readyz(), 200);
    // The operator retries everything that was not acknowledged (and, harmlessly, what was).
    for (const txid of txids) {
      const answer = await post(txid);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body["code"], acknowledged.has(txid) ? "duplicate" : "accepted", txid);
    }
    const stored = await service.store.listConversions({ operatorId: f.operator.id, limit: 1000 });
    const byTxid = new Map<string, number>();
    for (const row of stored) byTxid.set(row.txid, (byTxid.get(row.txid) ?? 0) + 1);
    for (const txid of [...txids, "before-full"]) assert.equal(byTxid.get(txid), 1, txid);
    assert.equal(stored.length, txids.length + 1);
  });
});
