/**
 * Text a database can store the same way on both engines. PostgreSQL refuses U+0000 in text
 * ("invalid byte sequence for encoding UTF8: 0x00") where SQLite keeps it, and both store an
 * unpaired surrogate (not Unicode) as U+FFFD, silently changing it. Such text is refused up front
 * (a 400 naming the field) or, where it is only evidence (request log, click sub-ids, an
 * endpoint's answer), stored in a safe form.
 */

/** Whether `text` holds a NUL character or an unpaired surrogate. */
export function isUnstorable(text: string): boolean {
  return text.includes("\u0000") || !text.isWellFormed();
}

/** `text` with each NUL and unpaired surrogate replaced by U+FFFD (the same string when storable). */
export function storableText(text: string): string {
  return isUnstorable(text) ? text.toWellFormed().replaceAll("\u0000", "\uFFFD") : text;
}

/** `storableText` over a nullable value. */
export const storableOrNull = (text: string | null): string | null =>
  text === null ? null : storableText(text);

/** The message of a 400 for a field holding such text. */
export const unstorableMessage = (field: string): string =>
  `${field} holds a character that cannot be stored (U+0000 or an unpaired surrogate).`;

/**
 * The longest start of `text` whose UTF-8 form fits in `maxBytes`, cut between characters (a
 * character is never split into an invalid sequence or a U+FFFD).
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  // Up to 3 bytes per UTF-16 code unit: short enough text needs no encoding at all.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back to the first byte of the character that straddles the limit (continuations are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}
