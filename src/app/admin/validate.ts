/** Semantic checks shared by the admin use cases; each throws a PostwireError naming the field. */
import { PostwireError, type Result } from "../../domain/errors.ts";
import { CUSTOM_EVENT_PATTERN, isStandardEventType } from "../../domain/event-types.ts";
import { validateTemplate } from "../../domain/macros.ts";
import { isCurrency } from "../../domain/money.ts";
import { LANDING_MACROS } from "../clicks/record-click.ts";

/** The value of a Result, or its failure thrown (with `field` when the failure names none). */
export function orThrow<T>(result: Result<T>, field?: string): T {
  if (result.ok) return result.value;
  const { code, message } = result.error;
  throw new PostwireError(code, message, result.error.field ?? field);
}

/** An ISO 4217 code with a minor unit, upper-cased. */
export function checkCurrency(code: string): string {
  const upper = code.toUpperCase();
  if (!isCurrency(upper)) {
    throw new PostwireError("unknown_currency", `"${code}" is not an ISO 4217 currency code.`, "currency");
  }
  return upper;
}

/** A landing URL template: absolute http(s), only the click macros. */
export function checkLandingTemplate(template: string, field = "landing_url_template"): string {
  orThrow(validateTemplate(template, LANDING_MACROS, field));
  return template;
}

/** A plain absolute http(s) URL (no macros). */
export function checkPlainUrl(url: string, field: string): string {
  orThrow(validateTemplate(url, [], field));
  return url;
}

/** True for a standard event type or a program's own name (lower snake case). */
export function isEventName(name: string): boolean {
  return isStandardEventType(name) || CUSTOM_EVENT_PATTERN.test(name);
}

/** A program's allowed events: at least one, each standard or custom, no repeats. */
export function checkEvents(events: readonly string[]): string[] {
  if (events.length === 0) {
    throw new PostwireError("invalid_field", "allowed_events needs at least one event.", "allowed_events");
  }
  const seen = new Set<string>();
  for (const name of events) {
    if (!isEventName(name)) {
      throw new PostwireError(
        "invalid_field",
        `"${name}" is neither a standard event nor a custom name (lower snake case, 2-40 characters).`,
        "allowed_events",
      );
    }
    if (seen.has(name)) {
      throw new PostwireError("invalid_field", `"${name}" is listed twice.`, "allowed_events");
    }
    seen.add(name);
  }
  return [...seen];
}

/** `prefix` + `size` random bytes as base64url, cut to `length` characters. */
export function randomToken(random: (size: number) => Buffer, prefix: string, length: number): string {
  return (
    prefix +
    random(Math.ceil((length * 3) / 4) + 1)
      .toString("base64url")
      .slice(0, length)
  );
}
