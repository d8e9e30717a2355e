/** The files the image test drops into a mounted inbox. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROWS_PER_FILE = 1_000;

/** A CSV of ROWS_PER_FILE rows whose ids start at `first`, so every file's rows are told apart. */
export function writeCsv(file: string, first: number): void {
  const lines = ['id,name,amount'];
  for (let id = first; id < first + ROWS_PER_FILE; id++) lines.push(`${id},item ${id},${(id * 0.25).toFixed(2)}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
}

/** A folder the container's user (uid 10001) can read. */
export function makeInbox(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}
