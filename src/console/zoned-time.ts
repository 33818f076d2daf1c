/**
 * Times typed by a viewer: a `datetime-local` value ("2026-12-06T13:05") means that wall-clock time
 * in the viewer's time zone (time-zones.ts), turned into epoch milliseconds and back. A wall-clock
 * time a daylight-saving change repeats is its first occurrence; one it skips is read at the offset
 * before the change.
 */
import { zoneParts } from "./time-zones.ts";

function wallClock(ms: number, zone: string): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const [name, value] of Object.entries(zoneParts(ms, zone))) parts[name] = Number(value);
  return parts;
}

/** The zone's offset from UTC at `ms`, in milliseconds (east positive). */
function offsetAt(ms: number, zone: string): number {
  const p = wallClock(ms, zone);
  const asUtc = Date.UTC(p["year"]!, p["month"]! - 1, p["day"]!, p["hour"]!, p["minute"]!, p["second"]!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const DAY_MS = 86_400_000;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A `datetime-local` value read in `zone`, as epoch ms; undefined when it is not one. */
export function epochOfLocal(value: string, zone: string): number | undefined {
  const m = LOCAL.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== day) return undefined;
  // The zone's offsets a day before and after: the same unless a transition is near. A time that
  // reads as `wall` under one of them is the answer (the earlier one when both do: a repeated hour);
  // none does for a time the change skips, read at the offset before the change.
  const before = wall - offsetAt(wall - DAY_MS, zone);
  const after = wall - offsetAt(wall + DAY_MS, zone);
  const reads = [before, after].filter((t) => t + offsetAt(t, zone) === wall);
  return reads.length ? Math.min(...reads) : before;
}

/** Epoch ms as a `datetime-local` value ("YYYY-MM-DDTHH:MM") in `zone`. */
export function localOfEpoch(ms: number, zone: string): string {
  const p = wallClock(ms, zone);
  const two = (n: number | undefined) => String(n).padStart(2, "0");
  return `${p["year"]}-${two(p["month"])}-${two(p["day"])}T${two(p["hour"])}:${two(p["minute"])}`;
}
