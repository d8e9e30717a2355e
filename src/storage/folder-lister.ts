/**
 * Listing a local folder with Node's own file system calls: in key order (as S3 lists), a
 * page at a time, and after a given key without walking the folders that hold only earlier
 * keys (`listFrom: 'last-seen'` over date folders touches only the newest).
 *
 * It lists what OpenDAL's `fs` service lists, with the same metadata (the test compares them):
 * regular files and links to files, not links to folders (a link that leads outside the root
 * is listed without its target's metadata, and refused when it is read: see inside-root.ts); times as OpenDAL spells them (RFC
 * 3339, UTC, the fraction of a second without trailing zeros), so version identities do not
 * change. An entry that cannot be stat'ed (a name that is not UTF-8, a broken link) is listed
 * with what is known, to be recorded and quarantined rather than fail the listing. OpenDAL's
 * listing stat'ed every entry through its own thread pool: ten times slower on 2,000 files.
 */
import { type Dirent, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { realPathInside } from './inside-root.ts';
import type { StoredObject } from './version.ts';

/** Files stat'ed in one go (see walk). */
const CHUNK = 256;

/** Keys in the order S3 lists them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export async function* listFolder(root: string, prefix: string, pageSize: number, startAfter: string | null): AsyncGenerator<StoredObject[]> {
  let page: StoredObject[] = [];
  // A prefix is a beginning of keys, as on S3 (`sales` lists `sales/a.csv` and `sales-2.csv`):
  // the walk starts in the folder that holds it.
  const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  for await (const objects of walk(root, folder, startAfter, prefix)) {
    for (const object of objects) {
      page.push(object);
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
}

/** One folder's objects under `prefix` in key order (statted together), then each subfolder's in turn. */
async function* walk(root: string, folder: string, startAfter: string | null, prefix: string): AsyncGenerator<StoredObject[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(path.join(root, folder), { withFileTypes: true });
  } catch (error) {
    // A prefix with nothing under it lists nothing, as on S3.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw error;
  }
  // A folder's keys sort as `name/…`: sorting names with the slash appended orders them as S3 would.
  const named = entries.map((entry) => {
    const sortKey = `${folder}${entry.name}${entry.isDirectory() ? '/' : ''}`;
    return { entry, key: `${folder}${entry.name}`, sortKey, bytes: Buffer.from(sortKey) };
  });
  named.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const after = startAfter === null ? null : Buffer.from(startAfter);
  let files: string[] = [];
  const links = new Set<string>();
  // Files are stat'ed synchronously, a folder's chunk at a time: a stat of a file whose inode
  // is cached is a few microseconds, and the promise version cost four times more in this
  // process's own thread than the call itself (it held a listing of 100,000 files at 13 µs a
  // file, where the ledger's statements needed the same thread). A chunk blocks for about a
  // millisecond.
  const flush = function* (): Generator<StoredObject[]> {
    if (files.length === 0) return;
    const objects = files.map((key) => statObject(root, key, links.has(key))).filter((object): object is StoredObject => object !== null);
    files = [];
    yield objects;
  };
  for (const { entry, key, sortKey, bytes } of named) {
    if (entry.isDirectory()) {
      if (!sortKey.startsWith(prefix) && !prefix.startsWith(sortKey)) continue;
      // Every key under this folder sorts before startAfter unless startAfter is under it.
      if (after !== null && startAfter !== null && Buffer.compare(bytes, after) < 0 && !startAfter.startsWith(sortKey)) continue;
      yield* flush();
      yield* walk(root, sortKey, startAfter, prefix);
      continue;
    }
    if ((!entry.isFile() && !entry.isSymbolicLink()) || !key.startsWith(prefix)) continue;
    if (after !== null && Buffer.compare(bytes, after) <= 0) continue;
    files.push(key);
    if (entry.isSymbolicLink()) links.add(key);
    if (files.length >= CHUNK) yield* flush();
  }
  yield* flush();
}

/** An object's size and time; null for what is not a file (a link to a folder). */
function statObject(root: string, key: string, link: boolean): StoredObject | null {
  // Of what lies outside the root nothing is learnt but whether it is a folder (not listed,
  // like links to folders inside): not its size, not its time.
  if (link && realPathInside(root, key) === null) {
    try {
      if (statSync(path.join(root, key)).isDirectory()) return null;
    } catch {}
    return { key, etag: null, size: 0, lastModified: null };
  }
  try {
    const stat = statSync(path.join(root, key), { bigint: true });
    if (!stat.isFile()) return null;
    return { key, etag: null, size: Number(stat.size), lastModified: rfc3339(stat.mtimeNs) };
  } catch {
    // Listed with what is known: recorded, then quarantined with the reason (see above). A link
    // that leads nowhere is listed the same way.
    return { key, etag: null, size: 0, lastModified: null };
  }
}

const NS_PER_SECOND = 1_000_000_000n;

/** `2026-01-01T00:00:00.12Z`: nanoseconds since 1970 as OpenDAL writes a time. */
export function rfc3339(nanoseconds: bigint): string {
  let seconds = nanoseconds / NS_PER_SECOND;
  let fraction = nanoseconds % NS_PER_SECOND;
  if (fraction < 0n) {
    fraction += NS_PER_SECOND;
    seconds -= 1n;
  }
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction === 0n ? '' : `.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${whole}${digits}Z`;
}
