/**
 * Clock skew of signed postbacks: the monitor's median, its warning (once, repeated while the skew
 * lasts, cleared when it is gone) and its metrics; and over HTTP, a server whose clock is two
 * minutes slow shows it in /metrics and its log while postbacks are still accepted, and one five
 * minutes off counts the signatures it refuses as expired though valid.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Registry } from "prom-client";
import { createClockSkewMonitor, median } from "../../../src/adapters/metrics/clock-skew.ts";
import { createFixture } from "../../helpers/service.ts";
import { clockFrom, ftd, signedGet, startKitService } from "../http/postback-kit.ts";

function recorder() {
  const lines: Array<[string, Record<string, unknown>, string]> = [];
  return {
    lines,
    log: {
      warn: (fields: Record<string, unknown>, message: string) => void lines.push(["warn", fields, message]),
      info: (fields: Record<string, unknown>, message: string) => void lines.push(["info", fields, message]),
    },
  };
}

describe("clock skew monitor", () => {
  test("median", () => {
    const cases: Array<[number[], number | undefined]> = [
      [[], undefined],
      [[5], 5],
      [[3, 1, 2], 2],
      [[4, 1, 3, 2], 2.5],
      [[-120, -119, -121, 300], -119.5],
    ];
    for (const [values, expected] of cases) assert.equal(median(values), expected, JSON.stringify(values));
  });

  test("a consistent skew is warned about once, again after the repeat interval, and cleared", () => {
    let now = 0;
    const { lines, log } = recorder();
    const monitor = createClockSkewMonitor({ log, now: () => now, repeatMs: 1000, registry: new Registry() });
    for (let i = 0; i < 10; i++) monitor.observe(-90, i % 2);
    assert.equal(lines.length, 0, "fewer than 20 samples say nothing");
    for (let i = 0; i < 30; i++) monitor.observe(-90, i % 2);
    assert.equal(lines.length, 1);
    const [level, fields, message] = lines[0]!;
    assert.equal(level, "warn");
    assert.deepEqual(fields, { medianSkewSeconds: -90, samples: 20, operators: 2, toleranceSeconds: 300 });
    assert.match(message, /90 s behind this server's clock.*probably wrong/);
    for (let i = 0; i < 20; i++) monitor.observe(-90, 1);
    assert.equal(lines.length, 1, "not repeated within the interval");
    now = 1000;
    for (let i = 0; i < 10; i++) monitor.observe(-90, 1);
    assert.equal(lines.length, 2, "repeated while it lasts");
    for (let i = 0; i < 100; i++) monitor.observe(1, 1);
    assert.equal(lines.at(-1)![0], "info");
    assert.match(lines.at(-1)![2], /small again/);
  });

  test("a few senders with a skew of their own do not move the median", async () => {
    const { lines, log } = recorder();
    const registry = new Registry();
    const monitor = createClockSkewMonitor({ log, now: () => 0, registry });
    for (let i = 0; i < 100; i++) monitor.observe(i % 4 === 0 ? 200 : 2, i % 4);
    assert.equal(lines.length, 0);
    assert.match(await registry.metrics(), /^postwire_signature_clock_skew_seconds 2$/m);
  });
});

describe("clock skew over HTTP (sqlite)", () => {
  for (const [offsetSeconds, accepted] of [
    [120, true],
    [400, false],
  ] as const) {
    test(`a server clock ${offsetSeconds} s slow: in /metrics and the log`, async () => {
      const lines: string[] = [];
      const k = await startKitService("sqlite", {
        env: { LOG_LEVEL: "info" },
        clock: clockFrom(Date.now() - offsetSeconds * 1000),
        logStream: { write: (line) => void lines.push(line) },
      });
      try {
        const f = await createFixture(k.store);
        for (let i = 0; i < 20; i++) {
          const answer = await signedGet(k.url, f, ftd(`skew-${i}`));
          assert.equal(answer.status, accepted ? 200 : 401, answer.text);
        }
        const metrics = await (await fetch(`${k.url}/metrics`)).text();
        assert.match(metrics, new RegExp(`^postwire_signature_clock_skew_seconds ${offsetSeconds}$`, "m"));
        assert.match(metrics, /^postwire_signature_clock_skew_samples 20$/m);
        assert.match(
          metrics,
          new RegExp(`^postwire_signature_expired_valid_total ${accepted ? 0 : 20}$`, "m"),
        );
        const warning = lines.map((line) => JSON.parse(line)).find((e) => e.medianSkewSeconds !== undefined);
        assert.ok(warning, "a warning was logged");
        assert.equal(warning.medianSkewSeconds, offsetSeconds);
        assert.match(warning.msg, /this server's clock is probably wrong/);
      } finally {
        await k.close();
      }
    });
  }
});
