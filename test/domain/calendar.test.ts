/**
 * Local periods of IANA zones (domain/calendar.ts), table-driven: half- and quarter-hour offsets,
 * a DST change, ISO weeks from Monday, and every period made of whole 15-minute buckets.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addDays,
  addMonths,
  isLocalDate,
  periodOf,
  startOfLocalDate,
  zoneOffsetMs,
} from "../../src/domain/calendar.ts";

const at = (iso: string) => Date.parse(iso);

test("offsets of half- and quarter-hour zones, and across a DST change", () => {
  for (const [zone, iso, minutes] of [
    ["UTC", "2026-03-10T18:40:00Z", 0],
    ["Asia/Kolkata", "2026-03-10T18:40:00Z", 330],
    ["Asia/Kathmandu", "2026-03-10T18:40:00Z", 345],
    ["America/St_Johns", "2026-01-10T12:00:00Z", -210],
    ["Europe/Berlin", "2026-03-29T00:59:00Z", 60],
    ["Europe/Berlin", "2026-03-29T01:00:00Z", 120],
  ] as const)
    assert.equal(zoneOffsetMs(at(iso), zone), minutes * 60_000, `${zone} at ${iso}`);
});

test("a period is named by its first local date", () => {
  for (const [iso, zone, group, period] of [
    ["2026-03-10T18:40:00Z", "UTC", "day", "2026-03-10"],
    ["2026-03-10T18:40:00Z", "Asia/Kolkata", "day", "2026-03-11"],
    ["2026-03-10T18:14:59Z", "Asia/Kathmandu", "day", "2026-03-10"],
    ["2026-03-10T18:15:00Z", "Asia/Kathmandu", "day", "2026-03-11"],
    ["2026-03-15T12:00:00Z", "UTC", "week", "2026-03-09"], // a Sunday: its Monday
    ["2026-03-16T00:00:00Z", "UTC", "week", "2026-03-16"],
    ["2026-02-28T20:00:00Z", "Asia/Kolkata", "month", "2026-03"],
    ["2026-01-01T02:00:00Z", "America/New_York", "week", "2025-12-29"],
  ] as const)
    assert.equal(periodOf(at(iso), zone, group), period, `${iso} ${zone} ${group}`);
});

test("the start of a local date is a whole 15-minute bucket, DST days too", () => {
  for (const [date, zone, iso] of [
    ["2026-03-11", "Asia/Kolkata", "2026-03-10T18:30:00Z"],
    ["2026-03-11", "Asia/Kathmandu", "2026-03-10T18:15:00Z"],
    ["2026-03-29", "Europe/Berlin", "2026-03-28T23:00:00Z"],
    ["2026-03-30", "Europe/Berlin", "2026-03-29T22:00:00Z"],
    ["2026-11-01", "America/New_York", "2026-11-01T04:00:00Z"],
    ["2026-11-02", "America/New_York", "2026-11-02T05:00:00Z"],
  ] as const) {
    const start = startOfLocalDate(date, zone);
    assert.equal(new Date(start).toISOString(), new Date(iso).toISOString(), `${date} ${zone}`);
    assert.equal(start % 900_000, 0);
    assert.equal(periodOf(start, zone, "day"), date);
    assert.equal(periodOf(start - 1, zone, "day"), addDays(date, -1));
  }
});

test("local dates: only real ones", () => {
  assert.ok(isLocalDate("2028-02-29"));
  for (const bad of ["2026-02-29", "2026-13-01", "2026-1-01", "", "2026-01-01T00:00"])
    assert.ok(!isLocalDate(bad), bad);
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
});

test("months added and taken away across years, checked against Date's own month arithmetic", () => {
  for (const [month, n, expected] of [
    ["2026-12", 1, "2027-01"],
    ["2026-01", -1, "2025-12"],
    ["2026-03", -14, "2025-01"],
    ["2026-11", 0, "2026-11"],
  ] as const)
    assert.equal(addMonths(month, n), expected, `${month} ${n}`);
  for (let n = -30; n <= 30; n++) {
    const date = new Date(Date.UTC(2026, 4 + n, 1)).toISOString().slice(0, 7);
    assert.equal(addMonths("2026-05", n), date, String(n));
  }
});
