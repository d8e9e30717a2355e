/**
 * Text as PostgreSQL can store it: a NUL character (which a corrupt file's bytes can put into
 * a parser's error message) is written as the six characters \u0000. Without this the failure
 * could not be recorded, and the file would wait for its lease to expire, again and again.
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}
