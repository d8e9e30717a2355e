/**
 * Text for a terminal. File names and values come from whoever can drop a file into the inbox,
 * and a name can hold bytes a terminal obeys: ESC starts sequences that clear the screen, move
 * the cursor or set the window title, CR and LF start a new line that can forge a log line, BEL
 * rings. Every human-facing printer (tables, the progress line, per-file lines and summaries,
 * pretty logs, preview, error messages) passes what it prints through `terminalSafe`, which
 * shows such characters as visible escapes: `\e`, `\r`, `\n`, `\t`, `\x07`, `\u{202e}`. JSON
 * output is not passed through it: JSON already escapes control characters.
 *
 * Escaped: C0 controls (U+0000–U+001F), DEL, C1 controls (U+0080–U+009F, which some terminals
 * read as ESC sequences), the line and paragraph separators, and the bidirectional overrides
 * and isolates (which reorder what is shown). A backslash is left as it is, so escaping twice
 * changes nothing.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, without the line feed
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\x1b': '\\e', '\r': '\\r', '\n': '\\n', '\t': '\\t' };

function escapeOne(character: string): string {
  const named = NAMED[character];
  if (named !== undefined) return named;
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every control character shown as a visible escape. With `lines: true`, line feeds
 * are kept (for text that is meant to span lines: a table Polars formatted, a stack trace).
 */
export function terminalSafe(text: string, options: { readonly lines?: boolean } = {}): string {
  return text.replace(options.lines === true ? UNSAFE_BUT_NEWLINE : UNSAFE, escapeOne);
}

/**
 * Every string in a value (objects and arrays walked), made terminal-safe; `stack` keeps its
 * lines. Errors, dates and buffers are left as they are (an error is made safe once it has been
 * turned into an object: see the logger's `err` serializer).
 */
export function terminalSafeDeep(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return terminalSafe(value, { lines: key === 'stack' });
  if (Array.isArray(value)) return value.map((item) => terminalSafeDeep(item));
  if (value === null || typeof value !== 'object' || value instanceof Error || value instanceof Date || ArrayBuffer.isView(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, terminalSafeDeep(item, name)]));
}
