/**
 * `postwire postback build|sign|verify` in-process: signatures match the independent vectors
 * (test/fixtures/signing-vectors.json) with the time pinned, requests are built as documented, and
 * verify accepts what the vectors sign and explains what it rejects.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import type { CliIo } from "../../src/cli/io.ts";
import { postbackCommand } from "../../src/cli/postback-command.ts";
import { signingVectors } from "../helpers/signing-vectors.ts";

const vectors = signingVectors;

/** Runs the command with captured output and a fixed clock. */
async function run(argv: string[], env: Record<string, string> = {}, nowMs = 1_795_000_000_000) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    fetch: () => Promise.reject(new Error("no network in this test")),
    now: () => nowMs,
    readFile: (file) => readFileSync(file),
  };
  const code = await postbackCommand(argv, env, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const FLAGS: Record<string, string> = {
  event: "--event",
  txid: "--txid",
  click_id: "--click-id",
  player_id: "--player-id",
  amount: "--amount",
  currency: "--currency",
  reverses: "--reverses",
  ts: "--timestamp",
};

/** Command-line flags that produce these parameters (unknown names as --param). */
function flagsFor(params: Record<string, string>): string[] {
  return Object.entries(params).flatMap(([name, value]) =>
    FLAGS[name] ? [FLAGS[name], value] : ["--param", `${name}=${value}`],
  );
}

describe("postback sign matches the signing vectors", () => {
  for (const vector of vectors.get.cases) {
    test(`GET: ${vector.name}`, async () => {
      const { code, out } = await run([
        "sign",
        "--operator-key",
        "op_test",
        ...flagsFor(vector.params),
        "--secret",
        vectors.secret,
      ]);
      assert.equal(code, 0);
      const url = new URL(out);
      assert.equal(url.origin + url.pathname, "http://localhost:8080/v1/postback/op_test");
      assert.equal(out.slice(out.indexOf("?") + 1), vector.query_as_sent);
      assert.equal(url.searchParams.get("sig"), vector.sig);
    });
  }
  for (const vector of vectors.post.cases) {
    test(`POST: ${vector["webhook-id"]}`, async () => {
      const params = JSON.parse(vector.body) as Record<string, string>;
      const { code, out } = await run([
        "sign",
        "--method",
        "POST",
        "--operator-key",
        "op_test",
        ...flagsFor({ ...params, ts: vector["webhook-timestamp"] }),
        "--secret",
        vectors.secret,
      ]);
      assert.equal(code, 0);
      const [head, body] = out.split("\n\n");
      const lines = head!.split("\n");
      assert.equal(lines[0], "POST http://localhost:8080/v1/postback/op_test");
      const headers = Object.fromEntries(
        lines.slice(1).map((l) => [l.split(": ")[0], l.slice(l.indexOf(": ") + 2)]),
      );
      assert.equal(headers["content-type"], "application/json");
      assert.equal(headers["webhook-id"], vector["webhook-id"]);
      assert.equal(headers["webhook-timestamp"], vector["webhook-timestamp"]);
      assert.equal(headers["webhook-signature"], vector["webhook-signature"]);
      assert.equal(body, vector.body);
    });
  }

  test("a POST signed now passes the standardwebhooks reference verifier", async () => {
    const { code, out } = await run(
      [
        "sign",
        "--method",
        "POST",
        "--operator-key",
        "k",
        "--event",
        "ftd",
        "--click-id",
        "c",
        "--secret",
        vectors.secret,
      ],
      {},
      Date.now(),
    );
    assert.equal(code, 0);
    const [head, body] = out.split("\n\n");
    const headers = Object.fromEntries(
      head!
        .split("\n")
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]),
    );
    assert.deepEqual(new Webhook(vectors.secret).verify(body!, headers), JSON.parse(body!));
  });

  test("the secret can come from POSTWIRE_SECRET, the base URL from PUBLIC_URL", async () => {
    const vector = vectors.get.cases[0]!;
    const { code, out } = await run(["sign", "--operator-key", "op", ...flagsFor(vector.params)], {
      POSTWIRE_SECRET: vectors.secret,
      PUBLIC_URL: "https://track.example/",
    });
    assert.equal(code, 0);
    assert.equal(out, `https://track.example/v1/postback/op?${vector.query_as_sent}`);
  });

  test("--curl prints a command with the signed headers", async () => {
    const { out } = await run([
      "sign",
      ...["--method", "POST", "--operator-key", "op", "--event", "ftd", "--txid", "it's"],
      ...["--timestamp", "1795000000", "--secret", vectors.secret, "--curl"],
    ]);
    assert.match(out, /^curl -sS -X POST -H 'content-type: application\/json' -H 'webhook-id: it'\\''s'/);
    assert.match(out, /-H 'webhook-signature: v1,[A-Za-z0-9+/=]{44}'/);
    assert.match(out, / http:\/\/localhost:8080\/v1\/postback\/op$/);
  });
});

describe("postback build", () => {
  test("GET: contract parameters in order, extras after, no signature", async () => {
    const { code, out } = await run([
      ...["build", "--url", "http://127.0.0.1:9/", "--operator-key", "op/1", "--event", "trade"],
      ...["--txid", "t 1", "--player-id", "p1", "--lots", "0.5", "--occurred-at", "2026-01-31T12:00:00Z"],
      ...["--test", "--param", "sub_id=a b", "--param", "x=1=2"],
    ]);
    assert.equal(code, 0);
    assert.equal(
      out,
      "http://127.0.0.1:9/v1/postback/op%2F1?event=trade&txid=t%201&player_id=p1&lots=0.5" +
        "&occurred_at=2026-01-31T12%3A00%3A00Z&test=1&sub_id=a%20b&x=1%3D2",
    );
  });

  test("a txid is generated when none is given, unique per call", async () => {
    const first = new URL((await run(["build", "--operator-key", "k", "--event", "registration"])).out);
    const second = new URL((await run(["build", "--operator-key", "k", "--event", "registration"])).out);
    assert.match(first.searchParams.get("txid")!, /^tx_[0-9A-Z]{26}$/);
    assert.notEqual(first.searchParams.get("txid"), second.searchParams.get("txid"));
  });

  test("POST: the body on stdout, its target on stderr; JSON or form", async () => {
    const common = ["build", "--method", "post", "--operator-key", "k", "--event", "ftd", "--txid", "d1"];
    const json = await run([...common, "--amount", "10.00", "--currency", "EUR"]);
    assert.equal(json.code, 0);
    assert.equal(json.out, '{"event":"ftd","txid":"d1","amount":"10.00","currency":"EUR"}');
    assert.equal(json.err, "POST http://localhost:8080/v1/postback/k (content-type: application/json)");
    const form = await run([...common, "--format", "form", "--param", "note=a+b"]);
    assert.equal(form.out, "event=ftd&txid=d1&note=a%2Bb");
    assert.match(form.err, /application\/x-www-form-urlencoded/);
  });
});

describe("postback verify", () => {
  const secret = vectors.secret;
  test("GET vectors verify at their own time; a tampered query shows the expected sig", async () => {
    for (const vector of vectors.get.cases) {
      const ok = await run([
        "verify",
        "--secret",
        secret,
        "--now",
        vector.params["ts"]!,
        "--query",
        vector.query_as_sent,
      ]);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /^signature: valid$/m);
    }
    const vector = vectors.get.cases[0]!;
    const tampered = vector.query_as_sent.replace("100.50", "100.51");
    const bad = await run([
      "verify",
      "--secret",
      secret,
      "--now",
      "1795000000",
      "--query",
      `https://x/p?${tampered}`,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^signature: INVALID$/m);
    assert.match(bad.out, /^canonical query: amount=100\.51&click_id=c1AbC&/m);
    assert.match(bad.out, /^expected sig: [0-9a-f]{64}$/m);
  });

  test("a valid but old signature fails on time, naming signature_expired", async () => {
    const vector = vectors.get.cases[0]!;
    const old = await run([
      "verify",
      "--secret",
      secret,
      "--now",
      "1795000301",
      "--query",
      vector.query_as_sent,
    ]);
    assert.equal(old.code, 1);
    assert.match(old.out, /^signature: valid$/m);
    assert.match(
      old.out,
      /301 s ago\): outside the 5-minute tolerance: the service answers signature_expired/,
    );
    const unsigned = await run(["verify", "--secret", secret, "--query", "event=ftd&txid=1"]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.out, /MISSING/);
  });

  test("POST vectors verify; a changed body does not", async () => {
    for (const vector of vectors.post.cases) {
      const args = [
        "verify",
        "--secret",
        secret,
        "--now",
        vector["webhook-timestamp"],
        "--id",
        vector["webhook-id"],
      ];
      args.push("--timestamp", vector["webhook-timestamp"], "--signature", vector["webhook-signature"]);
      const ok = await run([...args, "--body", vector.body]);
      assert.equal(ok.code, 0, ok.out);
      const bad = await run([...args, "--body", `${vector.body} `]);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /^expected webhook-signature: v1,/m);
    }
  });
  test("POST body from a file; an unreadable file is a usage error", async () => {
    const vector = vectors.post.cases[1]!;
    const dir = mkdtempSync(path.join(tmpdir(), "postwire-verify-"));
    try {
      const file = path.join(dir, "body.json");
      writeFileSync(file, vector.body);
      const args = [
        "verify",
        "--secret",
        secret,
        "--now",
        vector["webhook-timestamp"],
        "--id",
        vector["webhook-id"],
      ];
      args.push("--timestamp", vector["webhook-timestamp"], "--signature", vector["webhook-signature"]);
      assert.equal((await run([...args, "--body-file", file])).code, 0);
      const missing = await run([...args, "--body-file", path.join(dir, "nope.json")]);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /--body-file: cannot read .*nope\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
