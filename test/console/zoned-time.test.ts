/** Times typed in the viewer's zone (datetime-local values) to epoch milliseconds and back. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { epochOfLocal, localOfEpoch } from "../../src/console/zoned-time.ts";

describe("zoned time", () => {
  const cases: Array<[string, string, string]> = [
    ["2026-12-06T13:05", "UTC", "2026-12-06T13:05:00.000Z"],
    ["2026-12-06T13:05", "Asia/Kolkata", "2026-12-06T07:35:00.000Z"],
    ["2026-12-06T13:05", "Asia/Kathmandu", "2026-12-06T07:20:00.000Z"],
    ["2026-07-06T13:05", "Europe/Paris", "2026-07-06T11:05:00.000Z"],
    ["2026-01-06T13:05", "Europe/Paris", "2026-01-06T12:05:00.000Z"],
    ["2026-03-08T01:30:15", "America/New_York", "2026-03-08T06:30:15.000Z"],
    // 02:30 does not exist that night (clocks jump 02:00 -> 03:00): read at the offset before.
    ["2026-03-08T02:30", "America/New_York", "2026-03-08T07:30:00.000Z"],
    // 01:30 happens twice (clocks go back 02:00 -> 01:00): its first occurrence, in EDT.
    ["2026-11-01T01:30", "America/New_York", "2026-11-01T05:30:00.000Z"],
  ];
  for (const [local, zone, utc] of cases)
    test(`${local} in ${zone}`, () => {
      assert.equal(new Date(epochOfLocal(local, zone)!).toISOString(), utc);
    });

  test("round trip to the minute in zones with odd offsets", () => {
    for (const zone of ["UTC", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns"])
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7 * 86_400_000 + 3_600_000)
        assert.equal(epochOfLocal(localOfEpoch(ms, zone), zone), ms, `${zone} ${new Date(ms).toISOString()}`);
  });

  test("what is not a date and time is refused", () => {
    for (const text of ["", "2026-02-30T10:00", "2026-12-06", "13:05", "2026-12-06T25:00", "yesterday"])
      assert.equal(epochOfLocal(text, "UTC"), undefined, text);
  });
});
