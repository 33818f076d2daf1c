/** Percentiles from the fixed-bucket latency histogram (domain/latency-histogram.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LATENCY_BOUNDS_US, percentileOf } from "../../src/domain/latency-histogram.ts";

test("a percentile is the bound of the bucket holding its rank", () => {
  const histogram = new Map([
    [500, 50],
    [1000, 45],
    [8000, 4],
    [64000, 1],
  ]);
  assert.equal(percentileOf(histogram, 0.5), 500);
  assert.equal(percentileOf(histogram, 0.51), 1000);
  assert.equal(percentileOf(histogram, 0.95), 1000);
  assert.equal(percentileOf(histogram, 0.99), 8000);
  assert.equal(percentileOf(histogram, 1), 64000);
  assert.equal(percentileOf(new Map(), 0.5), null);
  assert.equal(percentileOf(new Map([[250, 0]]), 0.5), null);
});

test("bounds rise, at most 1.5x apart from 0.5 ms to 1.024 s (the error docs/api.md states)", () => {
  for (let i = 1; i < LATENCY_BOUNDS_US.length; i++) {
    const [low, high] = [LATENCY_BOUNDS_US[i - 1]!, LATENCY_BOUNDS_US[i]!];
    assert.ok(high > low);
    if (low >= 500 && high <= 1_024_000) assert.ok(high / low <= 1.5, `${low} → ${high}`);
    else assert.ok(high / low <= 2, `${low} → ${high}`);
  }
});
