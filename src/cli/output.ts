/**
 * Printing for the CLI: JSON when asked, aligned text otherwise. Text goes through
 * `terminalSafe`: a file name's control characters are shown escaped, never sent raw.
 */
import { terminalSafe } from '../terminal-text.ts';

/**
 * One line of text for a person: control characters in it (from file names, errors) escaped.
 * A leading line feed (a blank line before it) is the printer's own and is kept.
 */
export function printLine(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  const blank = text.startsWith('\n') ? '\n' : '';
  stream.write(`${blank}${terminalSafe(blank ? text.slice(1) : text)}\n`);
}

/** A block of lines (a formatted table, DDL): line feeds kept, every other control character escaped. */
export function printBlock(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${terminalSafe(text, { lines: true })}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Widest a column other than the last is printed; longer values end in `…`. */
const MAX_WIDTH = 60;

/**
 * Rows as aligned columns. The last column is printed whole (an error's useful part is often
 * at its end); a value cut in another column ends in `…`, and a line under the table says how
 * to see everything.
 */
export function printTable<Row extends object>(rows: readonly Row[], columns: readonly string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  // A value's control characters (a line feed in an error, an ESC in a file name) are shown escaped.
  const cell = (value: unknown) => terminalSafe(value instanceof Date ? value.toISOString() : value === null || value === undefined ? '-' : String(value));
  const last = columns.length - 1;
  const widths = columns.map((column, i) =>
    i === last ? 0 : Math.min(MAX_WIDTH, Math.max(column.length, ...rows.map((row) => cell((row as Record<string, unknown>)[column]).length))),
  );
  let cut = false;
  const fit = (value: string, i: number) => {
    if (i === last || value.length <= MAX_WIDTH) return value.padEnd(widths[i] ?? 0);
    cut = true;
    return `${value.slice(0, MAX_WIDTH - 1)}…`;
  };
  const line = (values: readonly string[]) => values.map(fit).join('  ').trimEnd();
  process.stdout.write(`${line(columns)}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => cell((row as Record<string, unknown>)[column])))}\n`);
  if (cut) process.stdout.write('(values cut at … are whole with --json)\n');
}
