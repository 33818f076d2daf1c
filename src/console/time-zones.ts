/**
 * Times in the console always state their zone: UTC unless the viewer chose another (remembered
 * in a cookie). Zones are IANA names the runtime knows; anything else falls back to UTC.
 */
const DEFAULT_TIME_ZONE = "UTC";

const KNOWN = new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);

/** The zone to use for a viewer's stored choice. */
export function timeZoneOf(choice: string | undefined): string {
  return choice && KNOWN.has(choice) ? choice : DEFAULT_TIME_ZONE;
}

/** Every zone a viewer may choose, UTC first. */
export function timeZones(): string[] {
  return ["UTC", ...[...KNOWN].filter((z) => z !== "UTC").sort()];
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `ms` in `timeZone` (year, month, day, hour, minute, second, timeZoneName). */
export function zoneParts(ms: number, timeZone: string): Record<string, string> {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    formats.set(timeZone, format);
  }
  return Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
}

/** "2026-12-06 13:05:09 UTC" (or the zone's short name, e.g. "CET"), for epoch milliseconds. */
export function formatTime(ms: number, timeZone: string): string {
  const parts = zoneParts(ms, timeZone);
  return `${parts["year"]}-${parts["month"]}-${parts["day"]} ${parts["hour"]}:${parts["minute"]}:${parts["second"]} ${parts["timeZoneName"]}`;
}
