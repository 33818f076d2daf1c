/**
 * Local calendar periods of an IANA time zone, for reports grouped by day, week (ISO, from Monday)
 * or month on the event's time. Every offset in use is a multiple of 15 minutes, so a period is an
 * exact set of the rollups' 15-minute buckets (012_rollups.sql).
 */
export const REPORT_GROUPS = ["day", "week", "month"] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

const formats = new Map<string, Intl.DateTimeFormat>();

function partsOf(ms: number, timeZone: string): { y: number; m: number; d: number; h: number; min: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(ms).map((x) => [x.type, x.value]));
  return {
    y: Number(p["year"]),
    m: Number(p["month"]),
    d: Number(p["day"]),
    h: Number(p["hour"]),
    min: Number(p["minute"]),
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (+05:30 gives 19 800 000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = partsOf(ms, timeZone);
  const local = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min);
  return local - (ms - (((ms % 60_000) + 60_000) % 60_000));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const isoDate = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

/** The local date ("YYYY-MM-DD") of `ms` in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = partsOf(ms, timeZone);
  return isoDate(p.y, p.m, p.d);
}

/** The instant a local date ("YYYY-MM-DD") starts in the zone (its first minute, DST included). */
export function startOfLocalDate(date: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  let start = guess - zoneOffsetMs(guess, timeZone);
  // Once more with the offset at the first guess: a DST change near midnight moves it.
  start = guess - zoneOffsetMs(start, timeZone);
  return start;
}

/** The period of `ms` in the zone, named by its first local date ("2026-12-07"; a month "2026-12"). */
export function periodOf(ms: number, timeZone: string, group: ReportGroup): string {
  const p = partsOf(ms, timeZone);
  if (group === "month") return `${pad(p.y, 4)}-${pad(p.m)}`;
  if (group === "day") return isoDate(p.y, p.m, p.d);
  const day = new Date(Date.UTC(p.y, p.m - 1, p.d));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/** Whether `date` is a real calendar date written "YYYY-MM-DD". */
export function isLocalDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const day = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === date;
}

/** The date `days` after a local date ("YYYY-MM-DD"). */
export function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/** The month `months` after a month ("YYYY-MM"; negative: before it). */
export function addMonths(month: string, months: number): string {
  const [year, number] = month.split("-").map(Number) as [number, number];
  const k = year * 12 + number - 1 + months;
  return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, "0")}`;
}
