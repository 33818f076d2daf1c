/**
 * Reading a submitted console form: each reader returns the field's value or throws a
 * PostwireError naming the field, which the page shows next to it (formErrorOf).
 */
import { PostwireError } from "../domain/errors.ts";
import { isUnstorable, unstorableMessage } from "../domain/storable-text.ts";
import type { Form } from "./console-kit.ts";
import type { FormError } from "./form-fields.ts";
import { epochOfLocal } from "./zoned-time.ts";

/** A text field: trimmed, present, not too long, storable. */
export function required(form: Form, name: string, max = 200): string {
  const value = (form[name] ?? "").trim();
  if (!value) throw new PostwireError("missing_field", `${name} is required.`, name);
  if (value.length > max)
    throw new PostwireError("invalid_field", `${name} is longer than ${max} characters.`, name);
  if (isUnstorable(value)) throw new PostwireError("invalid_field", unstorableMessage(name), name);
  return value;
}

/** A text field that may be left empty (null): trimmed, not too long, storable. */
export function optionalText(form: Form, name: string, max = 200): string | null {
  const value = (form[name] ?? "").trim();
  if (!value) return null;
  return required(form, name, max);
}

/** A comma-separated list field: items trimmed, empty ones dropped. */
export const commaList = (form: Form, name: string): string[] =>
  (form[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** A record id as a URL or form writes it: 1 to 16 digits, no sign, no leading zero; else undefined. */
export function recordId(text: string | undefined): number | undefined {
  return text !== undefined && /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : undefined;
}

/** A path's record id; anything else is a page that does not exist (404). */
export function pathId(text: string, what = "This page"): number {
  const id = recordId(text);
  if (id === undefined)
    throw new PostwireError("not_found", `${what}${what === "This page" ? "" : ` ${text}`} was not found.`);
  return id;
}

/** One of a closed set (a select or radio), as its type; anything else is refused as `field`. */
export function oneOf<T extends string>(
  values: readonly T[],
  value: string | undefined,
  field: string,
  message = `Choose a ${field}.`,
): T {
  if (!(values as readonly string[]).includes(value ?? ""))
    throw new PostwireError("invalid_field", message, field);
  return value as T;
}

/** A chosen record's id (a select). */
export function idField(form: Form, name: string): number {
  const id = recordId(form[name]);
  if (id === undefined) throw new PostwireError("invalid_field", `Choose one (${name}).`, name);
  return id;
}

/** A date and time, as epoch milliseconds. */
export function timeField(form: Form, name: string): number {
  const ms = Date.parse(required(form, name, 40));
  if (Number.isNaN(ms))
    throw new PostwireError(
      "invalid_field",
      `${name} must be a date and time such as 2026-11-01T00:00:00Z.`,
      name,
    );
  return ms;
}

/** Refusals a person can fix in the form; anything else (undefined) is an error page. */
export function formErrorOf(form: string, error: unknown): FormError | undefined {
  if (!(error instanceof PostwireError) || error.status >= 500 || error.code === "forbidden")
    return undefined;
  return { form, field: error.field, message: error.message };
}

/** An optional email address: empty is null; anything else must look like one. */
export function optionalEmail(form: Form, name: string): string | null {
  const email = (form[name] ?? "").trim();
  if (email && (email.length > 320 || !email.includes("@") || isUnstorable(email)))
    throw new PostwireError("invalid_field", `${name} is not an email address.`, name);
  return email || null;
}

/**
 * A list's "From" and "Until" filters (`since`, `until`), read as local date-times in the viewer's
 * zone; each unreadable one is named in `problems` and left out of `range`.
 */
export function localTimeRange(
  q: { readonly since?: string | undefined; readonly until?: string | undefined },
  zone: string,
): { range: { since?: number; until?: number }; problems: string[] } {
  const problems: string[] = [];
  const range: { since?: number; until?: number } = {};
  for (const name of ["since", "until"] as const) {
    const text = q[name]?.trim();
    if (!text) continue;
    const at = epochOfLocal(text, zone);
    if (at === undefined) problems.push(`"${name === "since" ? "From" : "Until"}" must be a date and time.`);
    else range[name] = at;
  }
  return { range, problems };
}
