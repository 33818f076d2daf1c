import assert from "node:assert/strict";
import { test } from "node:test";
import {
  endpointDisabled,
  endpointFailing,
  expectedBetween,
  HOURS_PER_WEEK,
  hourOfWeek,
  rejectionRate,
  SILENCE_FLOOR_MS,
  silence,
  unattributedJump,
  weeklyRates,
} from "../../../src/domain/alerts/rules.ts";

const H = 3_600_000;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

test("hours of the week start on Monday 00:00 UTC", () => {
  assert.equal(hourOfWeek(MONDAY), 0);
  assert.equal(hourOfWeek(MONDAY + 25 * H + 59 * 60_000), 25);
  assert.equal(hourOfWeek(MONDAY - 1), HOURS_PER_WEEK - 1);
  assert.equal(hourOfWeek(0), 72, "1970-01-01 was a Thursday");
});

/** Four weeks of an operator busy by day (09–21 UTC: 60/h) and all but asleep at night (1/h). */
function dayShopHistory(weeks = 4) {
  const counts = [];
  for (let at = MONDAY; at < MONDAY + weeks * 7 * 24 * H; at += H) {
    const hour = new Date(at).getUTCHours();
    counts.push({ hour: at, count: hour >= 9 && hour < 21 ? 60 : 1 });
  }
  return { counts, from: MONDAY, to: MONDAY + weeks * 7 * 24 * H };
}

test("weekly rates are the mean per hour of the week; hours with no row count as 0", () => {
  const { counts, from, to } = dayShopHistory();
  const rates = weeklyRates(counts, from, to);
  assert.equal(rates.length, HOURS_PER_WEEK);
  assert.equal(rates[10], 60);
  assert.equal(rates[2], 1);
  // Half the weeks silent at Monday 10:00: the mean halves.
  const sparse = counts.filter((c) => !(hourOfWeek(c.hour) === 10 && c.hour >= from + 14 * 24 * H));
  assert.equal(weeklyRates(sparse, from, to)[10], 30);
  assert.equal(expectedBetween(rates, MONDAY + 10 * H, MONDAY + 10 * H + 30 * 60_000), 30, "pro rata");
});

test("silence: a quiet night does not fire, the same gap at the busy hour does, and then resolves", () => {
  const { counts, from, to } = dayShopHistory();
  const rates = weeklyRates(counts, from, to);
  const base = { rates, minGapMs: 15 * 60_000 };
  const night = to + 1 * H; // Monday 01:00
  const quiet = silence({ ...base, lastPostbackAt: night, now: night + 3 * H });
  assert.equal(quiet.firing, false, "3 h at night expects about 3 postbacks");
  const day = to + 10 * H; // Monday 10:00
  const dead = silence({ ...base, lastPostbackAt: day, now: day + 20 * 60_000 });
  assert.equal(dead.firing, true, "20 min at 60/h expects 20");
  assert.equal(dead.since, day);
  assert.equal(dead.figures["silent_minutes"], 20);
  const tooSoon = silence({ ...base, lastPostbackAt: day, now: day + 10 * 60_000 });
  assert.equal(tooSoon.firing, false, "shorter than the configured minimum");
  const back = silence({ ...base, lastPostbackAt: day + 25 * 60_000, now: day + 26 * 60_000 });
  assert.equal(back.firing, false);
  assert.equal(
    silence({ ...base, lastPostbackAt: null, now: day }).firing,
    false,
    "never heard from: nothing learned",
  );
});

test("silence never fires below the floor, however busy the operator", () => {
  const rates = new Array(HOURS_PER_WEEK).fill(100_000);
  const at = MONDAY + 10 * H;
  assert.equal(
    silence({ rates, minGapMs: 0, lastPostbackAt: at, now: at + SILENCE_FLOOR_MS - 1 }).firing,
    false,
  );
  assert.equal(silence({ rates, minGapMs: 0, lastPostbackAt: at, now: at + SILENCE_FLOOR_MS }).firing, true);
});

test("rejection rate fires at the threshold from the minimum count on", () => {
  const base = { threshold: 0.25, minCount: 20, windowStart: MONDAY };
  assert.equal(rejectionRate({ ...base, part: 5, whole: 20 }).firing, true);
  assert.equal(rejectionRate({ ...base, part: 4, whole: 20 }).firing, false);
  assert.equal(rejectionRate({ ...base, part: 19, whole: 19 }).firing, false, "too few to judge");
  assert.equal(rejectionRate({ ...base, part: 0, whole: 0 }).figures["rate"], 0);
});

test("unattributed jump needs both the absolute jump and twice the baseline", () => {
  const base = { jump: 0.2, minCount: 10, windowStart: MONDAY, baselineAccepted: 1000 };
  const jumped = unattributedJump({ ...base, unattributed: 30, accepted: 100, baselineUnattributed: 50 });
  assert.equal(jumped.firing, true, "30 % against 5 %");
  assert.equal(
    unattributedJump({ ...base, unattributed: 60, accepted: 100, baselineUnattributed: 450 }).firing,
    false,
    "60 % against 45 %: not twice",
  );
  assert.equal(
    unattributedJump({ ...base, unattributed: 20, accepted: 100, baselineUnattributed: 50 }).firing,
    false,
    "20 % against 5 %: under the jump",
  );
  assert.equal(
    unattributedJump({ ...base, unattributed: 9, accepted: 9, baselineUnattributed: 0 }).firing,
    false,
    "too few",
  );
});

test("endpoints: failing for the threshold while active; disabled automatically until re-enabled", () => {
  const base = {
    consecutiveFailures: 12,
    disabledReason: null,
    disabledAt: null,
    now: MONDAY + H,
    failingMs: 30 * 60_000,
  };
  assert.equal(endpointFailing({ ...base, status: "active", failingSince: MONDAY }).firing, true);
  assert.equal(
    endpointFailing({ ...base, status: "active", failingSince: MONDAY + 40 * 60_000 }).firing,
    false,
  );
  assert.equal(endpointFailing({ ...base, status: "active", failingSince: null }).firing, false);
  assert.equal(
    endpointFailing({ ...base, status: "disabled", failingSince: MONDAY }).firing,
    false,
    "its own alert says so",
  );
  const off = {
    ...base,
    status: "disabled" as const,
    failingSince: MONDAY,
    disabledReason: "100 consecutive failed attempts",
    disabledAt: MONDAY + 50 * 60_000,
  };
  assert.deepEqual([endpointDisabled(off).firing, endpointDisabled(off).since], [true, MONDAY + 50 * 60_000]);
  assert.equal(
    endpointDisabled({ ...off, disabledReason: null }).firing,
    false,
    "disabled by hand: no reason recorded",
  );
  assert.equal(endpointDisabled({ ...off, status: "active" }).firing, false);
});
