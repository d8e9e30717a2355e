/**
 * ferry's temp folders (`ferry-read-*` for copies of objects, `ferry-copy-*` for the pipes and
 * slices of a load) are removed when their load ends; a process killed mid-load leaves its own
 * behind. At start, folders of these names untouched for a day are removed: a load in progress
 * touches its folder at least with every slice, and no single read takes a day.
 */
import { statfsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIXES = ['ferry-read-', 'ferry-copy-'];
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/** Linux's shared-memory file system: files there are pages of memory, never written to a disk. */
const MEMORY_ROOT = '/dev/shm';
/** Free space /dev/shm must have to be used: room for the slices of many loads at once. */
const MEMORY_ROOT_FREE = 1 << 30;

/**
 * The folder a load's pipes and slices go in: /dev/shm when TMPDIR is not set and /dev/shm has
 * at least 1 GiB free (as it has on most Linux hosts, not in a container with its default of
 * 64 MiB), else the OS temp folder. A slice goes through its file once, and a file system on a
 * disk (ext4, with its journal) makes that cost more: a 3M-row load took 5% longer on 2 cores.
 */
export function relayRoot(): string {
  if (process.env.TMPDIR !== undefined || process.platform !== 'linux') return os.tmpdir();
  try {
    const stats = statfsSync(MEMORY_ROOT);
    if (stats.bavail * stats.bsize >= MEMORY_ROOT_FREE) return MEMORY_ROOT;
  } catch {
    // no /dev/shm
  }
  return os.tmpdir();
}

/** The folders ferry's temp folders can be in. */
export function tempRoots(): string[] {
  return [...new Set([os.tmpdir(), relayRoot()])];
}

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
