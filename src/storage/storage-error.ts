/**
 * OpenDAL's error text with the cause first. Its own text is `Kind (persistent) at op,
 * context: { uri: …, response: Parts { status, version, headers: {…} }, service, path, … } =>
 * cause`: some 400 characters, with what happened at the very end. People read the first
 * words (a terminal, a table cut to its width, an alert's title), so they get
 * `NoSuchBucket: The specified bucket does not exist (read s3://bucket/in/a.parquet, HTTP 404)`.
 * The whole text stays on the error as its cause.
 */

const OPENDAL_HEAD = /^(\w+) \((?:persistent|temporary|permanent)\) at (\w+)/;

/** `error`'s message, cause first when it is OpenDAL's; `where` names the object or folder (else OpenDAL's path is used). */
export function storageErrorMessage(error: unknown, where?: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const head = OPENDAL_HEAD.exec(text);
  if (head === null) return text;
  const [, kind, operation] = head;
  const arrow = text.indexOf(' => ');
  const tail = arrow >= 0 ? text.slice(arrow + 4).trim() : '';
  const s3 = /S3Error \{ code: "([^"]*)", message: "([^"]*)"/.exec(tail);
  // Otherwise the innermost cause: the last `: `-separated part (`… tcp connect error: Connection refused (os error 111)`).
  const cause = s3 !== null ? `${s3[1]}: ${s3[2]}` : tail !== '' ? (tail.split(': ').at(-1) as string) : (kind as string);
  const path = where ?? /\bpath: ([^,}]+)/.exec(text)?.[1]?.trim();
  const status = /\bstatus: (\d{3})\b/.exec(text)?.[1];
  const context = [`${operation}${path ? ` ${path}` : ''}`, status ? `HTTP ${status}` : null].filter(Boolean).join(', ');
  return `${cause} (${context})`;
}
