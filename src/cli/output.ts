/**
 * Printing for the CLI: JSON when asked, aligned text otherwise (tables that fit the
 * terminal). Text goes through `terminalSafe`: a file name's control characters are shown
 * escaped, never sent raw.
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

/** A count for a person, with thousands separators (3,000,000): the same in every line the CLI prints. */
export function formatCount(count: number): string {
  return count.toLocaleString('en');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface TableOptions {
  /** Every value whole and every column, however wide the terminal (`--wide`). */
  readonly wide?: boolean;
  /** The width to fit. @default the terminal's width when stdout is one, else unlimited */
  readonly width?: number;
  /** Columns left out, in this order, while the others cannot fit without being cut short. */
  readonly optional?: readonly string[];
}

/**
 * Rows as aligned columns. In a terminal a line fits its width, so that no row wraps: the
 * optional columns are left out (in their order) while the others would have to be cut to
 * less than a readable width, then the widest columns are cut, ending in `…`; a line under the
 * table says what was left out or cut, and how to see it. `--wide`, and output that is not a
 * terminal (a pipe, a file), print every column and every value whole.
 */
export function printTable<Row extends object>(rows: readonly Row[], columns: readonly string[], options: TableOptions = {}): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  // A value's control characters (a line feed in an error, an ESC in a file name) are shown escaped.
  const cell = (value: unknown) =>
    terminalSafe(value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : value === null || value === undefined ? '-' : String(value));
  const all = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])));
  const natural = columns.map((column, i) => Math.max(column.length, ...all.map((values) => (values[i] as string).length)));
  const width = options.width ?? tableWidth(options);
  const shown = columnsToShow(columns, natural, width, options.optional ?? []);
  const widths = fitColumns(
    shown.map((i) => natural[i] as number),
    shown.map((i) => (columns[i] as string).length),
    width,
  );
  let cut = false;
  const fit = (value: string, j: number) => {
    const w = widths[j] as number;
    if (value.length <= w) return value.padEnd(w);
    cut = true;
    return `${value.slice(0, Math.max(0, w - 1))}…`;
  };
  const line = (values: readonly string[]) =>
    shown
      .map((i, j) => fit(values[i] as string, j))
      .join(' '.repeat(GAP))
      .trimEnd();
  const text = [line(columns), ...all.map(line)];
  const left = columns.filter((_, i) => !shown.includes(i));
  if (left.length > 0 || cut)
    text.push(
      `(${[left.length > 0 ? `not shown: ${left.join(', ')}` : '', cut ? 'values cut at …' : ''].filter(Boolean).join('; ')}: all with --wide or --json)`,
    );
  process.stdout.write(`${text.join('\n')}\n`);
}

/**
 * How wide a table may be: the terminal's width when stdout is one (so that no row wraps),
 * else unlimited (a pipe or a file gets every value whole, for grep and the like).
 */
export function tableWidth(options: { readonly wide?: boolean } = {}, stream: NodeJS.WriteStream = process.stdout): number {
  if (options.wide || !stream.isTTY) return Number.POSITIVE_INFINITY;
  return stream.columns > 0 ? stream.columns : 80;
}

const GAP = 2;
/** Below this a value is hardly readable: optional columns go before others are cut to less. */
const READABLE_WIDTH = 20;
/** Cut to no less than this while the headers fit; past that, headers are cut too, to this. */
const MIN_WIDTH = 4;

/** The indexes of the columns shown: all but the optional ones that leave the others room to be readable. */
function columnsToShow(columns: readonly string[], natural: readonly number[], width: number, optional: readonly string[]): number[] {
  let shown = columns.map((_, i) => i);
  const readable = (i: number) => Math.min(natural[i] as number, Math.max(READABLE_WIDTH, (columns[i] as string).length));
  for (const name of optional) {
    const need = shown.reduce((sum, i) => sum + readable(i), 0) + GAP * (shown.length - 1);
    if (need <= width) break;
    shown = shown.filter((i) => columns[i] !== name);
  }
  return shown;
}

/**
 * The width of each column so that a line fits `width`: while it does not, the widest column
 * (the one with the most to spare: a key, an error, a sample) loses a character, down to its
 * header's width, then (when every column is there) the headers are cut too. Narrow columns
 * (ids, counts, statuses) keep their width unless the wide ones are down to theirs.
 */
export function fitColumns(natural: readonly number[], headers: readonly number[], width: number): number[] {
  const widths = [...natural];
  let total = widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);
  for (const floors of [natural.map((w, i) => Math.min(w, Math.max(MIN_WIDTH, headers[i] ?? 0))), natural.map((w) => Math.min(w, MIN_WIDTH))]) {
    while (total > width) {
      let widest = -1;
      widths.forEach((w, i) => {
        if (w > (floors[i] as number) && (widest < 0 || w > (widths[widest] as number))) widest = i;
      });
      if (widest < 0) break;
      widths[widest] = (widths[widest] as number) - 1;
      total--;
    }
  }
  return widths;
}
