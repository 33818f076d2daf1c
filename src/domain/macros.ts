/**
 * URL templates with `{macro}` placeholders: landing URLs of tracking links (DESIGN §1) and
 * affiliates' outbound postback URLs (DESIGN §4). Macro names are letters, digits and '_'.
 */
import { fail, ok, type Result } from "./errors.ts";

/** A `{name}` placeholder; anything else in braces ("{}", "{a-b}") is plain text. */
const MACRO = /\{([A-Za-z0-9_]+)\}/g;
/** The same without the global flag, for stateless `.test()`. */
const HAS_MACRO = /\{[A-Za-z0-9_]+\}/;

/** What each macro stands for while a template is checked as a URL. */
const PROBE_VALUE = "x";

/**
 * Percent-encode a value for any URL position. encodeURIComponent escapes '&', '=', '#', '/',
 * '?', '%', spaces, so a value can neither add parameters nor path segments. Lone surrogates
 * (which make encodeURIComponent throw) become U+FFFD first.
 * Caveat: a value of exactly "." or ".." filling a whole path segment is still a dot segment
 * for URL parsers (they treat "%2E" as "."); put untrusted values in the query.
 */
function encodeValue(value: string): string {
  return encodeURIComponent(value.toWellFormed());
}

/**
 * Substitute `{name}` placeholders in a URL template, in a single pass (a value containing
 * "{x}" is not expanded again). Every value is encoded with encodeURIComponent. A macro absent
 * from `values` becomes "" (`unknown: "empty"`, the default) or stays literally (`"keep"`);
 * a macro present with an undefined value becomes "". Never throws.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
  opts?: { unknown?: "empty" | "keep" },
): string {
  const keepUnknown = opts?.unknown === "keep";
  return template.replace(MACRO, (whole: string, name: string) => {
    // Own properties only: "{constructor}" must not reach Object.prototype.
    if (!Object.hasOwn(values, name)) return keepUnknown ? whole : "";
    const value = values[name];
    return value === undefined ? "" : encodeValue(String(value));
  });
}

/** The `{name}` macros a template uses, in order of first appearance, without duplicates. */
export function templateMacros(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(MACRO)) names.add(m[1] ?? "");
  return [...names];
}

/** Bounded, quoted echo of the template for messages. */
function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? text.slice(0, 200) + "…" : text);
}

function listMacros(names: readonly string[]): string {
  return names.map((n) => `{${n}}`).join(", ");
}

/**
 * Validate a template: an absolute http(s) URL once macros are replaced by a probe value,
 * without spaces or control characters, every macro in `allowed`, and no macro in the scheme,
 * host or port (a value there could send the request to another host). Returns the macros used.
 * Errors: `invalid_field` on `field`; the message lists unknown macros and the valid ones.
 */
export function validateTemplate(
  template: string,
  allowed: readonly string[],
  field: string,
): Result<string[]> {
  const example = 'such as "https://tracker.example/postback?cid={click_id}"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(template)) {
    return fail(
      "invalid_field",
      `${field} must not contain spaces or control characters: ${quote(template)}`,
      field,
    );
  }
  const macros = templateMacros(template);
  const unknown = macros.filter((m) => !allowed.includes(m));
  if (unknown.length > 0) {
    const valid = allowed.length > 0 ? listMacros(allowed) : "none";
    const noun = unknown.length === 1 ? "macro" : "macros";
    return fail(
      "invalid_field",
      `${field} uses unknown ${noun} ${listMacros(unknown)}; valid macros are: ${valid}`,
      field,
    );
  }
  // A literal "http(s)://" and a non-empty authority: WHATWG URL would also accept
  // "http:host", "http:\\host" or "https:///host" and guess the host.
  const hasScheme = /^https?:\/\//i.test(template);
  const afterScheme = template.slice(template.indexOf("//") + 2);
  const authority = afterScheme.slice(0, afterScheme.search(/[/?#\\]|$/));
  if (hasScheme && HAS_MACRO.test(authority)) {
    return fail(
      "invalid_field",
      `${field} must not use macros in the host or port (${quote(authority)}): put them in the path or query`,
      field,
    );
  }
  const url = hasScheme && authority !== "" ? URL.parse(template.replace(MACRO, PROBE_VALUE)) : null;
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return fail(
      "invalid_field",
      `${field} must be an absolute http(s) URL, ${example}; got ${quote(template)}`,
      field,
    );
  }
  return ok(macros);
}

/** Macro syntaxes of operators' back offices (DESIGN §2). */
export const MACRO_SYNTAXES = ["curly", "square", "percent", "double_curly"] as const;
export type MacroSyntax = (typeof MACRO_SYNTAXES)[number];

/**
 * A placeholder for `name` in an operator's own macro syntax: curly `{name}`, square `[NAME]`
 * (upper case), percent `%name%`, double_curly `{{name}}`. Used to show a ready postback URL
 * template, so it is deliberately NOT URL-encoded: the operator's back office substitutes it.
 */
export function macroPlaceholder(name: string, syntax: MacroSyntax): string {
  switch (syntax) {
    case "curly":
      return `{${name}}`;
    case "square":
      return `[${name.toUpperCase()}]`;
    case "percent":
      return `%${name}%`;
    case "double_curly":
      return `{{${name}}}`;
    default: {
      const unreachable: never = syntax;
      throw new TypeError(`unknown macro syntax ${String(unreachable)}`);
    }
  }
}
