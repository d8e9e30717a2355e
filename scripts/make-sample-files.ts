/**
 * Writes sample Parquet files to try ferry with: `npm run sample -- [folder] [rows]`.
 * Defaults: ./data/inbox, three files (one in a subfolder), the largest with 3,000,000 rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';

const folder = path.resolve(process.argv[2] ?? 'data/inbox');
const largest = Number(process.argv[3] ?? 3_000_000);

function writeSample(file: string, rows: number, seed: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ids = Array.from({ length: rows }, (_, i) => i + seed);
  const frame = pl.DataFrame([
    pl.Series('id', ids, pl.Int64),
    pl.Series(
      'category',
      ids.map((i) => ['books', 'games', 'tools', 'food'][i % 4] as string),
      pl.Utf8,
    ),
    pl.Series(
      'amount',
      ids.map((i) => ((i * 7919) % 10_000) / 100),
      pl.Float64,
    ),
    pl.Series(
      'status',
      ids.map((i) => (i % 3 === 0 ? 'cancelled' : 'active')),
      pl.Utf8,
    ),
  ]);
  frame.writeParquet(file, { compression: 'zstd' });
  process.stdout.write(`${path.relative(process.cwd(), file)}: ${rows} rows, ${fs.statSync(file).size} bytes\n`);
}

writeSample(path.join(folder, 'sales-small.parquet'), 1_000, 0);
writeSample(path.join(folder, '2026', 'sales-medium.parquet'), 250_000, 1_000);
writeSample(path.join(folder, 'sales-large.parquet'), largest, 251_000);
