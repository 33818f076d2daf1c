/**
 * CSV as every export writes it: RFC 4180 quoting, CRLF line ends, and cells a spreadsheet would
 * evaluate neutralised as OWASP recommends ("CSV injection"): a text starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return gets a leading `'`, since names, sub-ids and raw requests come
 * from outside. Numbers are written as they are (a negative amount stays a number).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: empty for null/undefined, neutralised when a spreadsheet would run it, quoted when needed. */
export function csvCell(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, CRLF-terminated. */
export const csvLine = (cells: readonly (string | number | bigint | boolean | null | undefined)[]): string =>
  `${cells.map(csvCell).join(",")}\r\n`;

/** `Content-Disposition` for a download named `name` (ASCII letters, digits, `-`, `_`, `.` kept). */
export const attachmentNamed = (name: string): string =>
  `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`;
