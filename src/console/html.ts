/**
 * HTML with escaping by construction: `html` tagged templates escape every interpolated value
 * unless it is itself the result of `html` (a `SafeHtml`); arrays are joined, and null, undefined
 * and false render as nothing. Text from outside (sub-ids, user agents, raw requests, names) can
 * therefore only ever appear as text. Attribute values must be quoted in the template (`"${x}"`):
 * quotes are escaped too. URLs that reach an `href` go through `safeHref`.
 */

export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * A URL fit for an `href`: a path on this site ("/…" but not "//…"), or an absolute http(s) URL;
 * anything else (javascript:, data:, protocol-relative) becomes "#".
 */
export function safeHref(url: string): string {
  if (url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\")) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "#";
  } catch {
    return "#";
  }
}
