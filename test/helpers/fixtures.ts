/** Test files made on the spot with Polars: nothing binary is checked in. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';

/** Writes a Parquet file of `rows` rows (an Int64 id and a string) and returns its path. */
export function writeParquet(file: string, rows: number, seed = 0): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ids = pl.Series(
    'id',
    Array.from({ length: rows }, (_, i) => i + seed),
    pl.Int64,
  );
  const names = pl.Series(
    'name',
    Array.from({ length: rows }, (_, i) => `row-${i + seed}`),
    pl.Utf8,
  );
  pl.DataFrame([ids, names]).writeParquet(file);
  return file;
}

export function parquetBytes(rows: number, seed = 0): Buffer {
  const dir = tempDir('parquet-');
  const file = writeParquet(path.join(dir, 'f.parquet'), rows, seed);
  const bytes = fs.readFileSync(file);
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}

export function tempDir(prefix = 'ferry-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A folder that is a project (it has a package.json, as `npm init` makes), which the embedded
 * PostgreSQL (run as the user postgres when the tests run as root) can enter.
 */
export function projectDir(prefix = 'project-'): string {
  const dir = tempDir(prefix);
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'app', private: true, type: 'module' })}\n`);
  return dir;
}
