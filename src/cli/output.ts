/** Printing for the CLI: JSON when asked, aligned text otherwise. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable<Row extends object>(rows: readonly Row[], columns: readonly string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (value: unknown) => (value instanceof Date ? value.toISOString() : value === null || value === undefined ? '-' : String(value));
  const widths = columns.map((column) => Math.min(60, Math.max(column.length, ...rows.map((row) => cell((row as Record<string, unknown>)[column]).length))));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.slice(0, 60).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(columns)}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => cell((row as Record<string, unknown>)[column])))}\n`);
}
