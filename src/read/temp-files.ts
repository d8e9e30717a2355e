/**
 * ferry's temp folders (`ferry-read-*` for copies of objects, `ferry-copy-*` for the pipes and
 * slices of a load) are removed when their load ends; a process killed mid-load leaves its own
 * behind. At start, folders of these names untouched for a day are removed: a load in progress
 * touches its folder at least with every slice, and no single read takes a day.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIXES = ['ferry-read-', 'ferry-copy-'];
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/** Removes stale temp folders of ferry's; returns how many. Never throws. */
export async function sweepStaleTempDirs(root = os.tmpdir(), staleAfterMs = STALE_AFTER_MS, now = Date.now()): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    const dir = path.join(root, name);
    try {
      const stat = await fs.lstat(dir);
      if (!stat.isDirectory() || now - stat.mtimeMs < staleAfterMs) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
