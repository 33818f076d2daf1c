import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import fc from "fast-check";
import {
  JITTER,
  MAX_ATTEMPTS,
  MAX_RETRY_AFTER_EXTRA_MS,
  nextAttemptAt,
  parseRetryAfter,
  RETRY_SCHEDULE_MS,
} from "../../src/domain/retry-schedule.ts";

const NOW = Date.UTC(2025, 0, 1);
const MID = () => 0.5;
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe("RETRY_SCHEDULE_MS", () => {
  it("is DESIGN §4: +0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    assert.deepEqual(RETRY_SCHEDULE_MS, [0, 5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 10 * H]);
    assert.equal(MAX_ATTEMPTS, 8);
  });
});

describe("nextAttemptAt without Retry-After (random 0.5: no jitter)", () => {
  const table: [attemptsMade: number, delayMs: number | null][] = [
    [1, 5 * S],
    [2, 5 * MIN],
    [3, 30 * MIN],
    [4, 2 * H],
    [5, 5 * H],
    [6, 10 * H],
    [7, 10 * H],
    [8, null],
    [9, null],
  ];
  for (const [attempt, delay] of table) {
    test(`after ${attempt} attempt(s): ${delay === null ? "dead letter" : `+${delay} ms`}`, () => {
      assert.equal(nextAttemptAt(attempt, NOW, MID, null), delay === null ? null : NOW + delay);
    });
  }

  it("refuses an attempt count below 1", () => {
    assert.throws(() => nextAttemptAt(0, NOW, MID, null), RangeError);
    assert.throws(() => nextAttemptAt(1.5, NOW, MID, null), RangeError);
  });

  it("jitters by ±20 % at the extremes of random()", () => {
    assert.equal(
      nextAttemptAt(3, NOW, () => 0, null),
      NOW + 24 * MIN,
    );
    assert.equal(nextAttemptAt(3, NOW, () => 0.999999, null)! - NOW, Math.round(30 * MIN * 1.1999992));
  });
});

describe("nextAttemptAt with Retry-After", () => {
  const table: [attempt: number, retryAfterSeconds: number, delayMs: number, why: string][] = [
    [1, 60, 60 * S, "longer than the schedule: honoured"],
    [1, 2, 5 * S, "shorter than the schedule: the schedule wins"],
    [1, 0, 5 * S, "zero: ignored"],
    [3, 3600, 1 * H, "an hour instead of 30 min"],
    [3, 86_400, 30 * MIN + MAX_RETRY_AFTER_EXTRA_MS, "capped at schedule + 1 h"],
    [7, 31_536_000, 11 * H, "a year: capped at 10 h + 1 h"],
    [7, 60, 10 * H, "a minute before a 10 h retry: the schedule wins"],
  ];
  for (const [attempt, seconds, delay, why] of table) {
    test(`attempt ${attempt}, Retry-After ${seconds}: ${why}`, () => {
      assert.equal(nextAttemptAt(attempt, NOW, MID, seconds), NOW + delay);
    });
  }

  it("still dead-letters when attempts are exhausted", () => {
    assert.equal(nextAttemptAt(MAX_ATTEMPTS, NOW, MID, 10), null);
  });

  it("ignores nonsense values", () => {
    for (const bad of [Number.NaN, -5, Number.POSITIVE_INFINITY])
      assert.equal(nextAttemptAt(1, NOW, MID, bad), NOW + 5 * S);
  });
});

describe("jitter bounds (property)", () => {
  it("every retry lands within ±20 % of its schedule, never below 1 s", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (attempt, r, now) => {
          const base = RETRY_SCHEDULE_MS[attempt]!;
          const delay = nextAttemptAt(attempt, now, () => r, null)! - now;
          assert.ok(delay >= Math.floor(base * (1 - JITTER)) && delay <= Math.ceil(base * (1 + JITTER)));
          assert.ok(delay >= 1000);
        },
      ),
    );
  });

  it("Retry-After never brings a retry forward and never pushes it past schedule + 1 h (or the jitter)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (attempt, r, seconds) => {
          const without = nextAttemptAt(attempt, NOW, () => r, null)!;
          const withRa = nextAttemptAt(attempt, NOW, () => r, seconds)!;
          const base = RETRY_SCHEDULE_MS[attempt]!;
          assert.ok(withRa >= without);
          assert.ok(withRa - NOW <= Math.max(without - NOW, base + MAX_RETRY_AFTER_EXTRA_MS));
          assert.ok(withRa - NOW >= Math.min(seconds * 1000, base + MAX_RETRY_AFTER_EXTRA_MS));
        },
      ),
    );
  });
});

describe("parseRetryAfter", () => {
  const table: [string | undefined, number | null][] = [
    [undefined, null],
    ["120", 120],
    [" 0 ", 0],
    ["-1", null],
    ["1.5", null],
    ["soon", null],
    ["", null],
    ["99999999999999999999", null],
    ["Wed, 01 Jan 2025 00:01:30 GMT", 90],
    ["Wednesday, 01-Jan-25 00:00:10 GMT", 10],
    ["Tue, 31 Dec 2024 23:00:00 GMT", 0],
    ["Wed, 01 Jan 2025 00:00:00.500 GMT", 1],
  ];
  for (const [value, seconds] of table) {
    test(`${JSON.stringify(value)} → ${seconds}`, () => assert.equal(parseRetryAfter(value, NOW), seconds));
  }
});
