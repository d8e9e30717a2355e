/** The files the image test drops into a mounted inbox. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROWS_PER_FILE = 1_000;

/** A CSV of `rows` rows whose ids start at `first`, so every file's rows are told apart. */
export function writeCsv(file: string, first: number, rows = ROWS_PER_FILE): void {
  const fd = fs.openSync(`${file}.partial`, 'w', 0o644);
  fs.writeSync(fd, 'id,name,amount\n');
  for (let start = first; start < first + rows; start += 100_000) {
    const lines: string[] = [];
    for (let id = start; id < Math.min(start + 100_000, first + rows); id++) lines.push(`${id},item ${id},${(id * 0.25).toFixed(2)}\n`);
    fs.writeSync(fd, lines.join(''));
  }
  fs.closeSync(fd);
  // Whole or not at all: ferry never sees a file half written.
  fs.renameSync(`${file}.partial`, file);
}

/** A folder the container's user (uid 10001) can read. */
export function makeInbox(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}
