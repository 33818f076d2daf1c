/**
 * `postwire postback send` against a real service: a signed postback is accepted, the same one again
 * is a duplicate, changed content under the same txid is a 409, and failures exit 1.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { CliIo } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/postwire.ts";
import { createFixture, type Fixture, startTestService, type TestService } from "../helpers/service.ts";

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    readFile: (file) => readFileSync(file),
  };
  const code = await runCli(argv, env, io);
  return { code, out, err: err.join("\n") };
}

/** The status line and the parsed JSON answer of `send`. */
function answerOf(out: string[]): { status: string; body: Record<string, unknown> } {
  return { status: out[0]!, body: JSON.parse(out.at(-1)!) as Record<string, unknown> };
}

describe("postback send", () => {
  let service: TestService;
  let f: Fixture;
  let clickId: string;
  before(async () => {
    service = await startTestService("sqlite");
    f = await createFixture(service.store);
    const click = await fetch(`${service.url}/c/${f.link.code}`, { redirect: "manual" });
    clickId = new URL(click.headers.get("location")!).searchParams.get("cid")!;
  });
  after(() => service.close());

  const postback = (...more: string[]) => [
    ...["postback", "send", "--url", service.url, "--operator-key", f.operator.key, "--secret", f.secret],
    ...more,
  ];

  test("GET: 200 accepted, then 200 duplicate with the same conversion", async () => {
    const args = postback(
      "--event",
      "ftd",
      "--txid",
      "cli-dep-1",
      "--click-id",
      clickId,
      "--amount",
      "100.50",
    );
    const first = await run([...args, "--currency", "EUR"]);
    assert.equal(first.code, 0, first.err);
    const accepted = answerOf(first.out);
    assert.equal(accepted.status, "200 OK");
    assert.equal(accepted.body["code"], "accepted");
    assert.equal(accepted.body["attributed"], true);
    const again = await run([...args, "--currency", "EUR"]);
    assert.equal(again.code, 0);
    const duplicate = answerOf(again.out);
    assert.equal(duplicate.body["code"], "duplicate");
    assert.equal(duplicate.body["conversion_id"], accepted.body["conversion_id"]);
  });

  test("POST (JSON and form): accepted, then duplicate; different content under the txid is 409", async () => {
    for (const format of ["json", "form"]) {
      const txid = `cli-reg-${format}`;
      const args = postback(
        "--method",
        "POST",
        "--format",
        format,
        "--event",
        "registration",
        "--txid",
        txid,
      );
      const first = await run([...args, "--click-id", clickId, "--player-id", `p-${format}`]);
      assert.equal(first.code, 0, first.out.join("\n"));
      assert.equal(answerOf(first.out).body["code"], "accepted");
      const again = await run([...args, "--click-id", clickId, "--player-id", `p-${format}`]);
      assert.equal(answerOf(again.out).body["code"], "duplicate");
      const changed = await run([...args, "--click-id", clickId, "--player-id", "someone-else"]);
      assert.equal(changed.code, 1);
      assert.equal(answerOf(changed.out).status, "409 Conflict");
      assert.equal(answerOf(changed.out).body["code"], "txid_conflict");
    }
  });

  test("unsigned or wrongly signed postbacks are refused with 401 and exit 1", async () => {
    const unsigned = await run([
      "postback",
      "send",
      "--url",
      service.url,
      "--operator-key",
      f.operator.key,
      "--event",
      "ftd",
    ]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.err, /sending unsigned/);
    assert.equal(answerOf(unsigned.out).body["code"], "missing_signature");
    const stale = await run(
      postback("--event", "registration", "--click-id", clickId, "--timestamp", "1000000000"),
    );
    assert.equal(stale.code, 1);
    assert.equal(answerOf(stale.out).status, "401 Unauthorized");
    assert.equal(answerOf(stale.out).body["code"], "signature_expired");
    const unknown = await run([
      ...["postback", "send", "--url", service.url, "--operator-key", "op_nobody", "--event", "ftd"],
      ...["--secret", f.secret],
    ]);
    assert.equal(answerOf(unknown.out).body["code"], "unknown_operator");
  });

  test("a test postback is flagged in the answer", async () => {
    const result = await run(postback("--event", "registration", "--click-id", clickId, "--test"));
    assert.equal(result.code, 0);
    assert.equal(answerOf(result.out).body["test"], true);
  });

  test("an unreachable or silent service exits 1 with the reason", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gone = `http://127.0.0.1:${freePort}`;
    const refused = await run(["postback", "send", "--url", gone, "--operator-key", "k", "--event", "ftd"]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /could not reach GET http:\/\/127\.0\.0\.1:\d+\/v1\/postback\/k\?.*: ECONNREFUSED/,
    );

    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      const slow = await run([
        "postback",
        "send",
        "--url",
        url,
        "--operator-key",
        "k",
        "--event",
        "ftd",
        "--timeout",
        "100",
      ]);
      assert.equal(slow.code, 1);
      assert.match(slow.err, /no answer within 100 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
