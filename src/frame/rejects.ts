/** Rows the checks rejected, written as CSV for the rejects table: file, version, row number, rules, values. */
import fs from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { FerryError } from '../errors/index.ts';
import type { FileRef } from '../readers/index.ts';

/** A file's rejected rows as CSV for the rejects table: file, version, row number, rules, values. */
export async function writeRejects(rejects: pl.DataFrame, file: FileRef, target: string): Promise<void> {
  if (rejects.height <= JS_REJECTS_ROWS) {
    // A few rows: written here (expressions with the file's own values cost more than the rows).
    const lines = (rejects.select('row_number', 'rules', 'values').toRecords() as { row_number: unknown; rules: unknown; values: unknown }[]).map((row) =>
      [file.key, file.version, String(row.row_number), String(row.rules), String(row.values)].map(csvField).join(','),
    );
    await fs.writeFile(target, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    return;
  }
  await rejects
    .lazy()
    .select(pl.lit(file.key).alias('file'), pl.lit(file.version).alias('version'), pl.col('row_number'), pl.col('rules'), pl.col('values'))
    .sinkCSV(target, { includeHeader: false, maintainOrder: true })
    .collect();
}

/** Rejected rows of a part written as CSV in JavaScript, not by a Polars query. */
const JS_REJECTS_ROWS = 10_000;

/** Where a part's (or a batch file's) rejected rows go: one CSV file each, loaded in this order (see load/load-table.ts). */
export function rejectsPath(dir: string | null, part: number, file: number): string {
  if (dir === null) throw new FerryError('INTERNAL', 'rows were rejected but no rejects folder was named');
  return path.join(dir, `part-${part}-file-${file}.csv`);
}

/** A CSV field, quoted (PostgreSQL's CSV COPY reads a quoted empty string as '', not NULL). */
function csvField(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}
