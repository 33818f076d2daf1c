/**
 * `postwire postback send --test` and `--validate-only`, then `postwire postback trace`, against a
 * real service over loopback: the answer's trace_url is read back step by step.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runPostwire } from "../helpers/cli.ts";
import { createFixture, type Fixture, startTestService, type TestService } from "../helpers/service.ts";
import { tableCounts } from "../helpers/table-counts.ts";

describe("postback trace (CLI)", { timeout: 60_000 }, () => {
  let t: TestService;
  let f: Fixture;
  before(async () => {
    t = await startTestService("sqlite");
    f = await createFixture(t.store);
  });
  after(() => t?.close());

  const send = (...extra: string[]) =>
    runPostwire(
      [
        "postback",
        "send",
        "--url",
        t.url,
        "--operator-key",
        f.operator.key,
        "--event",
        "registration",
        ...extra,
      ],
      { POSTWIRE_SECRET: f.secret },
    );

  test("a test postback's trace, printed step by step", async () => {
    const sent = await send("--txid", "cli-trace-1", "--player-id", "cp-1", "--test");
    assert.equal(sent.code, 0, sent.err);
    const answer = JSON.parse(sent.out.split("\n").at(-1)!) as { trace_url: string };
    const shown = await runPostwire(["postback", "trace", answer.trace_url, "--url", t.url], {
      POSTWIRE_API_KEY: t.adminKey,
    });
    assert.equal(shown.code, 0, shown.err);
    const lines = shown.out.split("\n");
    assert.match(lines[0]!, /^trace of rq_\S+ \(test\)$/);
    for (const step of ["operator", "authentication", "mapping", "validation", "idempotency", "attribution"])
      assert.ok(
        lines.some((l) => l.startsWith(`ok   ${step}`)),
        `${step} passed in:\n${shown.out}`,
      );
    assert.ok(
      lines.some((l) => /^skip commissions +Test events earn no commission/.test(l)),
      shown.out,
    );
    const json = await runPostwire(["postback", "trace", answer.trace_url, "--url", t.url, "--json"], {
      POSTWIRE_API_KEY: t.adminKey,
    });
    assert.equal(JSON.parse(json.out).steps.length, 8);
  });

  test("send --validate-only stores no conversion; a refused one's trace exits 1", async () => {
    const before = await tableCounts(t.databaseUrl);
    const sent = await send("--txid", "cli-vo-1", "--validate-only");
    assert.equal(sent.code, 0, sent.err);
    const answer = JSON.parse(sent.out.split("\n").at(-1)!) as { validate_only: boolean };
    assert.equal(answer.validate_only, true);
    assert.equal((await tableCounts(t.databaseUrl))["conversions"], before["conversions"]);

    const bad = await runPostwire(
      ["postback", "send", "--url", t.url, "--operator-key", f.operator.key, "--event", "ftd", "--test"],
      { POSTWIRE_SECRET: f.secret },
    );
    assert.equal(bad.code, 1);
    const refused = JSON.parse(bad.out.split("\n").at(-1)!) as { code: string; trace_url: string };
    assert.equal(refused.code, "missing_field");
    const shown = await runPostwire(["postback", "trace", refused.trace_url, "--url", t.url], {
      POSTWIRE_API_KEY: t.adminKey,
    });
    assert.equal(shown.code, 1);
    assert.match(shown.out, /FAIL validation +ftd requires amount and currency/);
  });

  test("an unknown id or a missing key is said plainly", async () => {
    const missing = await runPostwire(["postback", "trace", "rq_nope", "--url", t.url], {
      POSTWIRE_API_KEY: t.adminKey,
    });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /404/);
    const noKey = await runPostwire(["postback", "trace", "rq_nope", "--url", t.url]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /--api-key/);
  });
});
