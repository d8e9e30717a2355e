/**
 * A local inbox's files by key, with Node's own calls. OpenDAL trims whitespace from both ends
 * of a path (a CR, an LF, a tab, a space), so it finds no file named `\ra.csv` or ` a.csv`:
 * such a file was listed and recorded, then taken for "deleted while it was read". Stat and
 * ranged reads of local files go through here instead; the metadata is the folder lister's
 * (same size and time spelling), so a version identity is the same whichever made it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../errors/index.ts';
import { rfc3339 } from './folder-lister.ts';
import type { StoredObject } from './version.ts';

/** The file's size and time; null when there is no file by that key. */
export async function statLocalFile(root: string, key: string): Promise<StoredObject | null> {
  const full = path.resolve(root, key);
  if (!full.startsWith(root + path.sep)) return null; // `..` leads out of the inbox: no file of it
  try {
    const stat = await fs.stat(full, { bigint: true });
    if (!stat.isFile()) return null;
    return { key, etag: null, size: Number(stat.size), lastModified: rfc3339(stat.mtimeNs) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
}

/** `length` bytes at `offset` (fewer at the end of the file). */
export async function readLocalRange(root: string, key: string, offset: number, length: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path.join(root, key), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FerryError('FILE_NOT_FOUND', `${key} no longer exists`, { cause: error });
    throw new FerryError('STORAGE_ERROR', `reading ${key} failed: ${(error as Error).message}`, { cause: error });
  }
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
